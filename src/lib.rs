//! The `dtu` package as a library: the twin list and `dtu serve`, shared by the
//! binary, the benchmarks and the integration tests.

pub mod control_cli;
pub mod dashboard;
pub mod serve;
pub mod twins;

/// mimalloc rather than the system allocator: the twins build and drop many small JSON
/// values and strings per request, and glibc's malloc spent a fifth of a request's time
/// in `_int_malloc` and `malloc_consolidate` (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
