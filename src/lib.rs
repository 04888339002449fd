//! The `dtu` package as a library: the twin list and `dtu serve`, shared by the
//! binary, the benchmarks and the integration tests.

pub mod serve;
pub mod twins;
