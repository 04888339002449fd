//! The twins this build serves. Adding a twin is one line here (and its crate in the
//! workspace).

use std::sync::Arc;

use twin_core::Twin;

pub fn all() -> Vec<Arc<dyn Twin>> {
    vec![
        Arc::new(twin_slack::SlackTwin::new()),
        Arc::new(twin_okta::OktaTwin::new()),
        Arc::new(twin_jira::JiraTwin::new()),
        Arc::new(twin_google::GoogleTwin::new()),
    ]
}
