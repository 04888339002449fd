//! Prometheus metrics at `/_dtu/metrics`, every name starting `dtu_`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub service: &'static str,
    /// A known operation name, or `unmatched`: label values stay bounded whatever
    /// clients send.
    pub operation: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    pub service: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    pub service: &'static str,
    pub kind: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<ServiceLabels, Histogram>,
    pub faults: Family<FaultLabels, Counter>,
    pub universes: Gauge,
    /// Control-plane requests refused for want of the admin credential.
    pub control_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<ServiceLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 4.0, 10))
        });
        let faults = Family::<FaultLabels, Counter>::default();
        let universes = Gauge::default();
        let control_refused = Counter::default();
        registry.register("dtu_requests", "Requests answered by the twins", requests.clone());
        registry.register("dtu_request_duration_seconds", "Time to answer a twin request", latency.clone());
        registry.register("dtu_faults_fired", "Chaos faults and rate limits fired", faults.clone());
        registry.register("dtu_universes", "Universes alive", universes.clone());
        registry.register(
            "dtu_control_refused",
            "Control-plane requests refused (no, wrong or twin credential; cross-site)",
            control_refused.clone(),
        );
        Self { registry, requests, latency, faults, universes, control_refused }
    }
}

impl Metrics {
    /// The exposition text (OpenMetrics, which Prometheus reads).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
