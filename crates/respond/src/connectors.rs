//! The `[connectors]` table of the configuration file, and the connectors built from it.

use std::sync::Arc;

use riposte_action::{ActionError, Connector};
use riposte_connector_aws::{AwsConnector, AwsSettings};
use riposte_connector_http::{
    Environment, FalconConnector, FalconSettings, GraphConnector, GraphSettings, OktaConnector,
    OktaSettings, WebhookConnector, WebhookSettings,
};
use serde::Deserialize;

/// The connectors `riposte respond` may use. A system left out has no connector, so its
/// actions wait until one is configured.
///
/// ```toml
/// [connectors.okta]
/// org_url = "https://example.okta.com"
/// token_env = "OKTA_API_TOKEN"
///
/// [connectors.aws]
/// region = "us-east-1"
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectorSettings {
    pub aws: Option<AwsSettings>,
    pub okta: Option<OktaSettings>,
    /// Microsoft Graph, for Entra ID actions.
    pub entra: Option<GraphSettings>,
    pub falcon: Option<FalconSettings>,
    pub webhook: Option<WebhookSettings>,
}

impl ConnectorSettings {
    /// Returns true when no connector is configured.
    pub fn is_empty(&self) -> bool {
        self.aws.is_none()
            && self.okta.is_none()
            && self.entra.is_none()
            && self.falcon.is_none()
            && self.webhook.is_none()
    }

    /// Builds every configured connector. Secrets are read from `environment`. Returns the
    /// first configuration error, which names its connector.
    pub async fn build(
        &self,
        environment: &dyn Environment,
    ) -> Result<Vec<Arc<dyn Connector>>, ActionError> {
        let mut connectors: Vec<Arc<dyn Connector>> = Vec::new();
        if let Some(settings) = &self.aws {
            connectors.push(Arc::new(AwsConnector::new(settings).await?));
        }
        if let Some(settings) = &self.okta {
            connectors.push(Arc::new(OktaConnector::new(settings, environment)?));
        }
        if let Some(settings) = &self.entra {
            connectors.push(Arc::new(GraphConnector::new(settings, environment)?));
        }
        if let Some(settings) = &self.falcon {
            connectors.push(Arc::new(FalconConnector::new(settings, environment)?));
        }
        if let Some(settings) = &self.webhook {
            connectors.push(Arc::new(WebhookConnector::new(settings, environment)?));
        }
        Ok(connectors)
    }
}
