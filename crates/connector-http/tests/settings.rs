//! Connector settings: parsing, defaults, secrets from the environment, URL checks.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use riposte_connector_http::{
    FalconConnector, FalconSettings, GraphConnector, GraphSettings, HttpSettings, OktaConnector,
    OktaSettings, WebhookConnector, WebhookSettings,
};
use support::environment;

fn okta(text: &str) -> OktaSettings {
    toml::from_str(text).unwrap()
}

fn okta_error(text: &str, env: &[(&str, &str)]) -> String {
    OktaConnector::new(&okta(text), &environment(env))
        .unwrap_err()
        .to_string()
}

#[test]
fn okta_settings_take_defaults() {
    let settings = okta(r#"org_url = "https://example.okta.com""#);
    assert_eq!(settings.token_env, None);
    assert_eq!(settings.http, HttpSettings::default());
    assert_eq!(settings.http.timeout_secs, 10);
    assert_eq!(settings.http.max_attempts, 4);
    let env = environment(&[("OKTA_API_TOKEN", "00token")]);
    assert!(OktaConnector::new(&settings, &env).is_ok());
}

#[test]
fn http_settings_are_read() {
    let settings = okta(
        r#"
        org_url = "https://example.okta.com"
        token_env = "RIPOSTE_OKTA_TOKEN"
        [http]
        timeout_secs = 3
        max_attempts = 6
        "#,
    );
    assert_eq!(settings.token_env.as_deref(), Some("RIPOSTE_OKTA_TOKEN"));
    assert_eq!(settings.http.timeout_secs, 3);
    assert_eq!(settings.http.max_attempts, 6);
    assert_eq!(settings.http.connect_timeout_secs, 5);
    assert_eq!(settings.http.retry_policy().max_attempts, 6);
}

#[test]
fn unknown_fields_are_rejected() {
    let error = toml::from_str::<OktaSettings>(
        r#"
        org_url = "https://example.okta.com"
        api_token = "00token"
        "#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `api_token`"),
        "{error}"
    );
    let error = toml::from_str::<OktaSettings>(
        r#"
        org_url = "https://example.okta.com"
        [http]
        timeout = 3
        "#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `timeout`"),
        "{error}"
    );
}

#[test]
fn missing_environment_variable_is_named() {
    assert_eq!(
        okta_error(r#"org_url = "https://example.okta.com""#, &[]),
        "invalid okta connector configuration: environment variable `OKTA_API_TOKEN` named by \
         `token_env` is not set: set it to the secret, or name another variable"
    );
    assert_eq!(
        okta_error(
            r#"org_url = "https://example.okta.com"
            token_env = "MY_TOKEN""#,
            &[("MY_TOKEN", "  ")]
        ),
        "invalid okta connector configuration: environment variable `MY_TOKEN` named by \
         `token_env` is empty: expected the secret"
    );
}

#[test]
fn inline_secret_is_accepted_but_not_with_env() {
    let settings = okta(
        r#"
        org_url = "https://example.okta.com"
        token = "00inlinetokenvalue"
        "#,
    );
    assert!(OktaConnector::new(&settings, &environment(&[])).is_ok());
    assert!(!format!("{settings:?}").contains("00inlinetokenvalue"));
    assert_eq!(
        okta_error(
            r#"org_url = "https://example.okta.com"
            token = "00inlinetokenvalue"
            token_env = "OKTA_API_TOKEN""#,
            &[]
        ),
        "invalid okta connector configuration: both `token` and `token_env` (`OKTA_API_TOKEN`) \
         are set: keep one, preferably `token_env`"
    );
}

#[test]
fn base_urls_are_checked() {
    let env = [("OKTA_API_TOKEN", "00token")];
    let cases = [
        (
            "http://example.okta.com",
            "invalid okta connector configuration: invalid `org_url` \
             `http://example.okta.com`: scheme `http` is not allowed; expected `https` (`http` \
             only on a loopback address)",
        ),
        (
            "example.okta.com",
            "invalid okta connector configuration: invalid `org_url` `example.okta.com`: \
             relative URL without a base; expected an absolute URL",
        ),
        (
            "https://admin:pw@example.okta.com",
            "invalid okta connector configuration: invalid `org_url` \
             `https://…@example.okta.com`: expected no credentials in the URL",
        ),
        (
            "https://example.okta.com/?x=1",
            "invalid okta connector configuration: invalid `org_url` \
             `https://example.okta.com/?x=1`: expected no query",
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(okta_error(&format!("org_url = \"{url}\""), &env), expected);
    }
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:80/",
    ] {
        let settings = okta(&format!("org_url = \"{url}\""));
        assert!(
            OktaConnector::new(&settings, &environment(&env)).is_ok(),
            "{url}"
        );
    }
}

#[test]
fn zero_attempts_are_rejected() {
    let error = okta_error(
        r#"org_url = "https://example.okta.com"
        [http]
        max_attempts = 0"#,
        &[("OKTA_API_TOKEN", "00token")],
    );
    assert_eq!(
        error,
        "invalid okta connector configuration: invalid `max_attempts` `0`: expected at least 1 \
         attempt"
    );
}

#[test]
fn graph_settings_default_to_the_global_cloud() {
    let settings: GraphSettings = toml::from_str(
        r#"
        tenant_id = "8f2b6c1e-4a5d-4e7f-9a0b-1c2d3e4f5a6b"
        client_id = "3c9d7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f"
        "#,
    )
    .unwrap();
    assert_eq!(settings.authority, "https://login.microsoftonline.com");
    assert_eq!(settings.graph_url, "https://graph.microsoft.com");
    assert_eq!(settings.scope, "https://graph.microsoft.com/.default");
    let env = environment(&[("GRAPH_CLIENT_SECRET", "secret")]);
    assert!(GraphConnector::new(&settings, &env).is_ok());
    let error = GraphConnector::new(&settings, &environment(&[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid entra connector configuration: environment variable `GRAPH_CLIENT_SECRET` \
         named by `client_secret_env` is not set: set it to the secret, or name another variable"
    );
}

#[test]
fn falcon_settings_default_to_us_1() {
    let settings: FalconSettings =
        toml::from_str(r#"client_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9""#).unwrap();
    assert_eq!(settings.base_url, "https://api.crowdstrike.com");
    let env = environment(&[("FALCON_CLIENT_SECRET", "secret")]);
    assert!(FalconConnector::new(&settings, &env).is_ok());
}

#[test]
fn webhook_url_stays_out_of_errors() {
    let settings: WebhookSettings = toml::from_str("").unwrap();
    let env = environment(&[
        (
            "RIPOSTE_WEBHOOK_URL",
            "http://hooks.example.com/services/hooktoken0123",
        ),
        ("RIPOSTE_WEBHOOK_SECRET", "whsec-0123456789abcdef"),
    ]);
    let error = WebhookConnector::new(&settings, &env)
        .unwrap_err()
        .to_string();
    assert!(error.contains("scheme `http` is not allowed"), "{error}");
    assert!(!error.contains("hooktoken0123"), "{error}");

    let env = environment(&[
        (
            "RIPOSTE_WEBHOOK_URL",
            "https://hooks.example.com/services/hooktoken0123",
        ),
        ("RIPOSTE_WEBHOOK_SECRET", "short"),
    ]);
    assert_eq!(
        WebhookConnector::new(&settings, &env)
            .unwrap_err()
            .to_string(),
        "invalid webhook connector configuration: signing secret too short: expected at least \
         16 bytes"
    );
}
