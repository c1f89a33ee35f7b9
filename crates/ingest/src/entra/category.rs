//! The log categories of Entra ID diagnostic settings and the Log Analytics tables they are
//! stored in, with what riposte reads each one as.

use super::shape::{LogKind, RiskSubject, SignInKind};

/// Every Entra category and table name riposte recognizes, compared without regard to case
/// (`SignInLogs` is the diagnostic setting category, `SigninLogs` the table). `None` marks a
/// category riposte recognizes as Entra but does not interpret: its records are counted as
/// unsupported, not rejected.
const CATEGORIES: &[(&str, Option<LogKind>)] = &[
    ("SignInLogs", Some(LogKind::SignIn(SignInKind::Interactive))),
    (
        "NonInteractiveUserSignInLogs",
        Some(LogKind::SignIn(SignInKind::NonInteractive)),
    ),
    (
        "AADNonInteractiveUserSignInLogs",
        Some(LogKind::SignIn(SignInKind::NonInteractive)),
    ),
    (
        "ServicePrincipalSignInLogs",
        Some(LogKind::SignIn(SignInKind::ServicePrincipal)),
    ),
    (
        "AADServicePrincipalSignInLogs",
        Some(LogKind::SignIn(SignInKind::ServicePrincipal)),
    ),
    (
        "ManagedIdentitySignInLogs",
        Some(LogKind::SignIn(SignInKind::ManagedIdentity)),
    ),
    (
        "AADManagedIdentitySignInLogs",
        Some(LogKind::SignIn(SignInKind::ManagedIdentity)),
    ),
    ("AuditLogs", Some(LogKind::Audit)),
    ("UserRiskEvents", Some(LogKind::Risk(RiskSubject::User))),
    ("AADUserRiskEvents", Some(LogKind::Risk(RiskSubject::User))),
    (
        "ServicePrincipalRiskEvents",
        Some(LogKind::Risk(RiskSubject::ServicePrincipal)),
    ),
    (
        "AADServicePrincipalRiskEvents",
        Some(LogKind::Risk(RiskSubject::ServicePrincipal)),
    ),
    ("MicrosoftGraphActivityLogs", Some(LogKind::GraphActivity)),
    ("ProvisioningLogs", None),
    ("AADProvisioningLogs", None),
    ("ADFSSignInLogs", None),
    ("RiskyUsers", None),
    ("AADRiskyUsers", None),
    ("RiskyServicePrincipals", None),
    ("AADRiskyServicePrincipals", None),
    ("NetworkAccessTrafficLogs", None),
    ("NetworkAccessTraffic", None),
    ("NetworkAccessAlerts", None),
    ("NetworkAccessConnectionEvents", None),
    ("RemoteNetworkHealthLogs", None),
    ("EnrichedOffice365AuditLogs", None),
    ("EnrichedMicrosoft365AuditLogs", None),
    ("B2CRequestLogs", None),
    ("AADB2CRequestLogs", None),
    ("MicrosoftServicePrincipalSignInLogs", None),
    ("AzureADGraphActivityLogs", None),
    ("AADGraphActivityLogs", None),
    ("CustomSecurityAttributeAuditLogs", None),
    ("AADCustomSecurityAttributeAuditLogs", None),
];

/// Looks up a category or table name. Returns `None` for a name that is not an Entra
/// category, `Some(None)` for one riposte does not interpret.
pub(super) fn lookup(name: &str) -> Option<Option<LogKind>> {
    let name = name.trim();
    CATEGORIES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(
            lookup("SigninLogs"),
            Some(Some(LogKind::SignIn(SignInKind::Interactive)))
        );
        assert_eq!(lookup("aadprovisioninglogs"), Some(None));
        assert_eq!(lookup("UserManagement"), None);
    }
}
