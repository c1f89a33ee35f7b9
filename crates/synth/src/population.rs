//! The people and workloads whose activity the records show.

use rand::Rng;

use crate::ids;
use crate::world::{self, Agent, Client, Network, Place};

/// A person with accounts in Okta, Entra ID and (through Okta federation) AWS.
#[derive(Debug)]
pub struct Person {
    /// Login name in Okta and user principal name in Entra, also the AWS role session name.
    pub email: String,
    pub display_name: String,
    /// Okta user id (`00u...`).
    pub okta_id: String,
    /// Entra object id.
    pub entra_id: String,
    /// The home address, city, network and browser.
    pub home: Client<'static>,
    /// The AWS CLI user agent, for people who use the CLI.
    pub cli_agent: Option<&'static str>,
    /// The AWS role the person federates into.
    pub aws_role: &'static AwsRole,
}

impl Person {
    /// Creates a person with fresh ids.
    pub fn new(
        rng: &mut impl Rng,
        login: &str,
        display_name: &str,
        home: Client<'static>,
        cli_agent: Option<&'static str>,
        aws_role: &'static AwsRole,
    ) -> Self {
        Self {
            email: format!("{login}@{}", world::COMPANY_DOMAIN),
            display_name: display_name.to_owned(),
            okta_id: ids::okta_id(rng, "00u"),
            entra_id: ids::uuid(rng),
            home,
            cli_agent,
            aws_role,
        }
    }

    /// Returns the person at home, using `agent` instead of the browser.
    pub fn home_with(&self, agent: &'static Agent) -> Client<'static> {
        Client { agent, ..self.home }
    }
}

/// An IAM role.
#[derive(Debug)]
pub struct AwsRole {
    pub name: &'static str,
    /// The role's unique id (`AROA...`), which prefixes the `principalId` of its sessions.
    pub unique_id: &'static str,
}

impl AwsRole {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{}", world::AWS_ACCOUNT, self.name)
    }

    /// Returns the ARN of one session of the role.
    pub fn session_arn(&self, session_name: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            world::AWS_ACCOUNT,
            self.name
        )
    }
}

/// The role people federate into from Okta.
pub static ENGINEERING_ROLE: AwsRole = AwsRole {
    name: "Engineering",
    unique_id: "AROAEXAMPLEENGINEER01",
};
/// A read-only role, for part of the benchmark population.
pub static READ_ONLY_ROLE: AwsRole = AwsRole {
    name: "ReadOnly",
    unique_id: "AROAEXAMPLEREADONLY01",
};
/// A role for data analysts, for part of the benchmark population.
pub static ANALYTICS_ROLE: AwsRole = AwsRole {
    name: "Analytics",
    unique_id: "AROAEXAMPLEANALYTICS1",
};
/// The instance profile role of the application servers.
pub static APP_SERVER_ROLE: AwsRole = AwsRole {
    name: "app-server",
    unique_id: "AROAEXAMPLEAPPSERVER1",
};
/// The execution role of the report-building Lambda function.
pub static LAMBDA_ROLE: AwsRole = AwsRole {
    name: "report-builder-role",
    unique_id: "AROAEXAMPLEREPORTFN01",
};

/// The roles people federate into, for the benchmark population.
pub static PERSON_ROLES: [&AwsRole; 3] = [&ENGINEERING_ROLE, &READ_ONLY_ROLE, &ANALYTICS_ROLE];

/// The name of the SAML identity provider in IAM.
pub const SAML_PROVIDER: &str = "Okta";

/// Returns the ARN of the SAML identity provider in IAM.
pub fn saml_provider_arn() -> String {
    format!(
        "arn:aws:iam::{}:saml-provider/{SAML_PROVIDER}",
        world::AWS_ACCOUNT
    )
}

/// An IAM user with a long-lived access key, such as a CI pipeline.
#[derive(Debug)]
pub struct IamUser {
    pub name: String,
    /// The user's unique id (`AIDA...`).
    pub unique_id: String,
    /// The user's active access key (`AKIA...`).
    pub access_key_id: String,
    /// The machine the user's key is used from.
    pub client: WorkloadClient,
}

impl IamUser {
    pub fn new(rng: &mut impl Rng, name: &str, client: WorkloadClient) -> Self {
        Self {
            name: name.to_owned(),
            unique_id: ids::aws_unique_id(rng, "AIDA"),
            access_key_id: ids::aws_key_id(rng, "AKIA"),
            client,
        }
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", world::AWS_ACCOUNT, self.name)
    }
}

/// A machine that runs a workload: its fixed address, place, network and user agent.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadClient {
    pub ip: std::net::IpAddr,
    pub place: &'static Place,
    pub network: &'static Network,
    pub user_agent: &'static str,
}

/// An EC2 instance whose instance profile role calls AWS.
#[derive(Debug)]
pub struct Instance {
    /// The instance id (`i-` and 17 hex digits), also the role session name.
    pub id: String,
    pub role: &'static AwsRole,
    pub client: WorkloadClient,
}

impl Instance {
    pub fn new(rng: &mut impl Rng, role: &'static AwsRole, client: WorkloadClient) -> Self {
        Self {
            id: format!("i-0{}", ids::hex(rng, 16)),
            role,
            client,
        }
    }
}

/// A Lambda function whose execution role calls AWS.
#[derive(Debug)]
pub struct Function {
    /// The function name, also the role session name.
    pub name: String,
    pub role: &'static AwsRole,
    pub client: WorkloadClient,
}

/// An Entra service principal that signs in with a client secret.
#[derive(Debug)]
pub struct ServicePrincipal {
    pub name: String,
    /// The application (client) id.
    pub app_id: String,
    /// The service principal's object id.
    pub id: String,
    /// The key id of the client secret it signs in with.
    pub credential_key_id: String,
    pub client: WorkloadClient,
}

impl ServicePrincipal {
    pub fn new(rng: &mut impl Rng, name: &str, client: WorkloadClient) -> Self {
        Self {
            name: name.to_owned(),
            app_id: ids::uuid(rng),
            id: ids::uuid(rng),
            credential_key_id: ids::uuid(rng),
            client,
        }
    }
}
