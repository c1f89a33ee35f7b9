//! AWS CloudTrail records and the gzip log files CloudTrail delivers to S3.

use std::fs::File;
use std::io::BufWriter;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};

use crate::population::{AwsRole, IamUser};
use crate::world::{AWS_ACCOUNT, AWS_REGION};
use crate::{SynthError, ids, output, timefmt};

/// One CloudTrail record. Fields are in the order CloudTrail writes them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTrailRecord {
    pub event_version: &'static str,
    pub user_identity: UserIdentity,
    pub event_time: String,
    pub event_source: &'static str,
    pub event_name: &'static str,
    pub aws_region: &'static str,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    pub user_agent: String,
    pub request_parameters: Value,
    pub response_elements: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    #[serde(rename = "requestID")]
    pub request_id: String,
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Resource>>,
    pub event_type: &'static str,
    pub management_event: bool,
    pub recipient_account_id: &'static str,
    pub event_category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_details: Option<TlsDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_credential_from_console: Option<&'static str>,
    /// The event time, for ordering; not part of the record.
    #[serde(skip)]
    pub time: DateTime<Utc>,
}

/// `userIdentity`: who made the call. Which fields are present depends on `type`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    pub session_issuer: SessionIssuer,
    pub web_id_federation_data: Empty,
    pub attributes: SessionAttributes,
    /// `2.0` for credentials that the EC2 instance metadata service version 2 delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec2_role_delivery: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub principal_id: &'static str,
    pub arn: String,
    pub account_id: &'static str,
    pub user_name: &'static str,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Empty {}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    pub creation_date: String,
    /// CloudTrail writes this boolean as a string.
    pub mfa_authenticated: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    #[serde(rename = "accountId")]
    pub account_id: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "ARN")]
    pub arn: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsDetails {
    pub tls_version: &'static str,
    pub cipher_suite: &'static str,
    pub client_provided_host_header: String,
}

/// The SAML issuer of the Okta AWS app, as AWS writes it in `responseElements.issuer`.
pub const SAML_ISSUER: &str = "http://www.okta.com/exkEXAMPLEawsSAML001";
/// The hash AWS derives from the SAML issuer, account and provider name; written as
/// `identityProvider`, the prefix of the SAML user's `principalId`, and `nameQualifier`.
pub const SAML_NAME_QUALIFIER: &str = "b2t0YUVYQU1QTEVxdWFsaWZpZXI=";

impl UserIdentity {
    fn empty(kind: &'static str) -> Self {
        Self {
            kind,
            principal_id: None,
            arn: None,
            account_id: None,
            access_key_id: None,
            user_name: None,
            identity_provider: None,
            session_context: None,
            invoked_by: None,
        }
    }

    /// Returns the identity of a person federated through SAML, before they hold role
    /// credentials.
    pub fn saml_user(email: &str) -> Self {
        Self {
            principal_id: Some(format!("{SAML_NAME_QUALIFIER}:{email}")),
            user_name: Some(email.to_owned()),
            identity_provider: Some(SAML_NAME_QUALIFIER),
            ..Self::empty("SAMLUser")
        }
    }

    /// Returns the identity of a session of an IAM role that holds the temporary key
    /// `access_key_id`.
    pub fn role_session(
        role: &AwsRole,
        session_name: &str,
        access_key_id: &str,
        created: DateTime<Utc>,
        from_instance_metadata: bool,
    ) -> Self {
        Self {
            principal_id: Some(format!("{}:{session_name}", role.unique_id)),
            arn: Some(role.session_arn(session_name)),
            account_id: Some(AWS_ACCOUNT),
            access_key_id: Some(access_key_id.to_owned()),
            session_context: Some(SessionContext {
                session_issuer: SessionIssuer {
                    kind: "Role",
                    principal_id: role.unique_id,
                    arn: role.arn(),
                    account_id: AWS_ACCOUNT,
                    user_name: role.name,
                },
                web_id_federation_data: Empty::default(),
                attributes: SessionAttributes {
                    creation_date: timefmt::cloudtrail(created),
                    mfa_authenticated: "false",
                },
                ec2_role_delivery: from_instance_metadata.then_some("2.0"),
            }),
            ..Self::empty("AssumedRole")
        }
    }

    /// Returns the identity of an IAM user calling with one of its long-lived keys.
    pub fn iam_user(user: &IamUser, access_key_id: &str) -> Self {
        Self {
            principal_id: Some(user.unique_id.clone()),
            arn: Some(user.arn()),
            account_id: Some(AWS_ACCOUNT),
            access_key_id: Some(access_key_id.to_owned()),
            user_name: Some(user.name.clone()),
            ..Self::empty("IAMUser")
        }
    }

    /// Returns the identity of an AWS service acting in the account.
    pub fn aws_service(service: &'static str) -> Self {
        Self {
            invoked_by: Some(service),
            ..Self::empty("AWSService")
        }
    }
}

/// The API call a record describes, apart from who made it and from where.
#[derive(Clone, Debug)]
pub struct Call {
    pub event_source: &'static str,
    pub event_name: &'static str,
    pub read_only: bool,
    /// False for data events (S3 object and DynamoDB item operations).
    pub management: bool,
    pub request_parameters: Value,
    pub response_elements: Value,
    pub resources: Option<Vec<Resource>>,
    pub additional_event_data: Option<Value>,
    /// The `Host` header the client sent, when it is not the service's regional endpoint.
    pub host: Option<String>,
}

impl Call {
    /// Creates a management call with no parameters, no response and no resources.
    pub fn management(
        event_source: &'static str,
        event_name: &'static str,
        read_only: bool,
    ) -> Self {
        Self {
            event_source,
            event_name,
            read_only,
            management: true,
            request_parameters: Value::Null,
            response_elements: Value::Null,
            resources: None,
            additional_event_data: None,
            host: None,
        }
    }

    /// Sets `parameters` as the call's `requestParameters`.
    pub fn with_parameters(mut self, parameters: Value) -> Self {
        self.request_parameters = parameters;
        self
    }
}

/// The origin of a call: a client address with its user agent, or an AWS service.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Ip {
        ip: IpAddr,
        user_agent: &'a str,
    },
    /// An AWS service, written as its DNS name in both `sourceIPAddress` and `userAgent`.
    Service(&'static str),
    /// AWS's own infrastructure, written as `AWS Internal`.
    Internal,
}

fn endpoint_host(event_source: &str) -> String {
    match event_source {
        "iam.amazonaws.com" | "sts.amazonaws.com" | "s3.amazonaws.com" => event_source.to_owned(),
        _ => {
            let service = event_source
                .strip_suffix(".amazonaws.com")
                .unwrap_or(event_source);
            format!("{service}.{AWS_REGION}.amazonaws.com")
        }
    }
}

/// Builds a record of `call` made by `identity` from `caller` at `time`.
pub fn record(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    identity: UserIdentity,
    caller: Caller<'_>,
    call: Call,
) -> CloudTrailRecord {
    let (source_ip_address, user_agent, tls_details) = match caller {
        Caller::Ip { ip, user_agent } => (
            ip.to_string(),
            user_agent.to_owned(),
            Some(TlsDetails {
                tls_version: "TLSv1.3",
                cipher_suite: "TLS_AES_128_GCM_SHA256",
                client_provided_host_header: call
                    .host
                    .clone()
                    .unwrap_or_else(|| endpoint_host(call.event_source)),
            }),
        ),
        Caller::Service(service) => (service.to_owned(), service.to_owned(), None),
        Caller::Internal => ("AWS Internal".to_owned(), "AWS Internal".to_owned(), None),
    };
    // Current CloudTrail logs hold both event versions 1.08 and 1.09. The generator writes
    // 1.08 for management events outside S3 and 1.09 for the rest, an arbitrary split.
    let event_version = if call.management && call.event_source != "s3.amazonaws.com" {
        "1.08"
    } else {
        "1.09"
    };
    CloudTrailRecord {
        event_version,
        user_identity: identity,
        event_time: timefmt::cloudtrail(time),
        event_source: call.event_source,
        event_name: call.event_name,
        aws_region: AWS_REGION,
        source_ip_address,
        user_agent,
        request_parameters: call.request_parameters,
        response_elements: call.response_elements,
        additional_event_data: call.additional_event_data,
        request_id: ids::uuid(rng),
        event_id: ids::uuid(rng),
        read_only: call.read_only,
        resources: call.resources,
        event_type: "AwsApiCall",
        management_event: call.management,
        recipient_account_id: AWS_ACCOUNT,
        event_category: if call.management {
            "Management"
        } else {
            "Data"
        },
        tls_details,
        session_credential_from_console: None,
        time,
    }
}

/// Temporary credentials that STS issued, as written in `responseElements.credentials`.
/// The session token is a placeholder: it shows where the token sits in the record.
fn issued_credentials(rng: &mut impl Rng, access_key_id: &str, expiration: DateTime<Utc>) -> Value {
    json!({
        "accessKeyId": access_key_id,
        "sessionToken": format!("EXAMPLEsessionToken{}", ids::base62(rng, 24)),
        "expiration": timefmt::sts_expiration(expiration),
    })
}

fn role_resource(role: &AwsRole) -> Resource {
    Resource {
        account_id: AWS_ACCOUNT,
        kind: "AWS::IAM::Role",
        arn: role.arn(),
    }
}

/// `sts:AssumeRoleWithSAML`: a person federated from Okta receives role credentials.
pub fn assume_role_with_saml(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    email: &str,
    role: &AwsRole,
    caller: Caller<'_>,
    issued_key_id: &str,
) -> CloudTrailRecord {
    let duration = TimeDelta::hours(1);
    let parameters = json!({
        "sAMLAssertionID": format!("id{}", ids::digits(rng, 24)),
        "roleSessionName": email,
        "durationSeconds": duration.num_seconds(),
        "roleArn": role.arn(),
        "principalArn": crate::population::saml_provider_arn(),
    });
    let response = json!({
        "credentials": issued_credentials(rng, issued_key_id, time + duration),
        "assumedRoleUser": {
            "assumedRoleId": format!("{}:{email}", role.unique_id),
            "arn": role.session_arn(email),
        },
        "packedPolicySize": 0,
        "subject": email,
        "subjectType": "unspecified",
        "issuer": SAML_ISSUER,
        "audience": "https://signin.aws.amazon.com/saml",
        "nameQualifier": SAML_NAME_QUALIFIER,
    });
    let call = Call {
        response_elements: response,
        resources: Some(vec![
            role_resource(role),
            Resource {
                account_id: AWS_ACCOUNT,
                kind: "AWS::IAM::SAMLProvider",
                arn: crate::population::saml_provider_arn(),
            },
        ]),
        ..Call::management("sts.amazonaws.com", "AssumeRoleWithSAML", true)
            .with_parameters(parameters)
    };
    record(rng, time, UserIdentity::saml_user(email), caller, call)
}

/// `sts:AssumeRole` made by an AWS service (EC2 for an instance profile, Lambda for an
/// execution role) to obtain the credentials it hands to the workload.
pub fn assume_role_by_service(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    service: &'static str,
    role: &AwsRole,
    session_name: &str,
    issued_key_id: &str,
    duration: TimeDelta,
) -> CloudTrailRecord {
    let parameters = json!({
        "roleArn": role.arn(),
        "roleSessionName": session_name,
    });
    let response = json!({
        "credentials": issued_credentials(rng, issued_key_id, time + duration),
        "assumedRoleUser": {
            "assumedRoleId": format!("{}:{session_name}", role.unique_id),
            "arn": role.session_arn(session_name),
        },
    });
    let call = Call {
        response_elements: response,
        resources: Some(vec![role_resource(role)]),
        ..Call::management("sts.amazonaws.com", "AssumeRole", true).with_parameters(parameters)
    };
    record(
        rng,
        time,
        UserIdentity::aws_service(service),
        Caller::Service(service),
        call,
    )
}

/// `iam:CreateAccessKey` for `user_name`. CloudTrail logs the new key id but never its
/// secret.
pub fn create_access_key(user_name: &str, new_key_id: &str, time: DateTime<Utc>) -> Call {
    Call {
        response_elements: json!({
            "accessKey": {
                "userName": user_name,
                "accessKeyId": new_key_id,
                "status": "Active",
                "createDate": timefmt::iam_create_date(time),
            }
        }),
        ..Call::management("iam.amazonaws.com", "CreateAccessKey", false)
            .with_parameters(json!({ "userName": user_name }))
    }
}

/// `iam:ListAccessKeys` for `user_name`.
pub fn list_access_keys(user_name: &str) -> Call {
    Call::management("iam.amazonaws.com", "ListAccessKeys", true)
        .with_parameters(json!({ "userName": user_name }))
}

/// Read-only calls people make from the console or the CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadCall {
    ListBuckets,
    DescribeInstances,
    GetMetricData,
    DescribeLogGroups,
    ListFunctions,
    DescribeStacks,
    GetCallerIdentity,
    ListUsers,
    ListRoles,
    DescribeAlarms,
}

impl ReadCall {
    pub const CONSOLE: [Self; 6] = [
        Self::ListBuckets,
        Self::DescribeInstances,
        Self::GetMetricData,
        Self::DescribeLogGroups,
        Self::ListFunctions,
        Self::DescribeAlarms,
    ];
    pub const CLI: [Self; 5] = [
        Self::GetCallerIdentity,
        Self::ListBuckets,
        Self::DescribeInstances,
        Self::DescribeStacks,
        Self::ListRoles,
    ];

    /// Builds the call, with parameters whose time range ends at `time`.
    pub fn call(self, time: DateTime<Utc>) -> Call {
        match self {
            Self::ListBuckets => Call {
                host: Some("s3.amazonaws.com".to_owned()),
                ..Call::management("s3.amazonaws.com", "ListBuckets", true)
                    .with_parameters(json!({ "Host": "s3.amazonaws.com" }))
            },
            Self::DescribeInstances => {
                Call::management("ec2.amazonaws.com", "DescribeInstances", true).with_parameters(
                    json!({
                        "instancesSet": {},
                        "filterSet": {},
                    }),
                )
            }
            Self::GetMetricData => {
                Call::management("monitoring.amazonaws.com", "GetMetricData", true).with_parameters(
                    json!({
                        "startTime": timefmt::cloudtrail(time - TimeDelta::hours(3)),
                        "endTime": timefmt::cloudtrail(time),
                        "maxDatapoints": 1440,
                    }),
                )
            }
            Self::DescribeLogGroups => {
                Call::management("logs.amazonaws.com", "DescribeLogGroups", true)
                    .with_parameters(json!({ "limit": 50 }))
            }
            Self::ListFunctions => {
                Call::management("lambda.amazonaws.com", "ListFunctions20150331", true)
            }
            Self::DescribeStacks => {
                Call::management("cloudformation.amazonaws.com", "DescribeStacks", true)
            }
            Self::GetCallerIdentity => {
                Call::management("sts.amazonaws.com", "GetCallerIdentity", true)
            }
            Self::ListUsers => Call::management("iam.amazonaws.com", "ListUsers", true),
            Self::ListRoles => Call::management("iam.amazonaws.com", "ListRoles", true),
            Self::DescribeAlarms => {
                Call::management("monitoring.amazonaws.com", "DescribeAlarms", true)
                    .with_parameters(json!({ "maxRecords": 100 }))
            }
        }
    }
}

/// Builds an S3 object operation (`GetObject`, `PutObject`), which is a data event.
pub fn s3_object(rng: &mut impl Rng, event_name: &'static str, bucket: &str, key: &str) -> Call {
    let host = format!("{bucket}.s3.{AWS_REGION}.amazonaws.com");
    let read_only = event_name == "GetObject";
    let size = rng.random_range(512..262_144_u32);
    let (bytes_in, bytes_out) = if read_only { (0, size) } else { (size, 0) };
    Call {
        event_source: "s3.amazonaws.com",
        event_name,
        read_only,
        management: false,
        request_parameters: json!({
            "bucketName": bucket,
            "Host": host,
            "key": key,
        }),
        response_elements: if read_only {
            Value::Null
        } else {
            json!({ "x-amz-server-side-encryption": "aws:kms" })
        },
        resources: Some(vec![
            Resource {
                account_id: AWS_ACCOUNT,
                kind: "AWS::S3::Object",
                arn: format!("arn:aws:s3:::{bucket}/{key}"),
            },
            Resource {
                account_id: AWS_ACCOUNT,
                kind: "AWS::S3::Bucket",
                arn: format!("arn:aws:s3:::{bucket}"),
            },
        ]),
        additional_event_data: Some(json!({
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in,
            "AuthenticationMethod": "AuthHeader",
            "bytesTransferredOut": bytes_out,
        })),
        host: Some(host),
    }
}

/// Builds a DynamoDB item operation (`GetItem`, `PutItem`, `Query`), which is a data event.
pub fn dynamodb_item(rng: &mut impl Rng, event_name: &'static str, table: &str) -> Call {
    let read_only = event_name != "PutItem";
    let parameters = match event_name {
        "Query" => json!({
            "tableName": table,
            "keyConditionExpression": "customerId = :c",
            "limit": 25,
        }),
        _ => json!({
            "tableName": table,
            "key": { "orderId": { "S": format!("ord-{}", ids::hex(rng, 12)) } },
        }),
    };
    Call {
        event_source: "dynamodb.amazonaws.com",
        event_name,
        read_only,
        management: false,
        request_parameters: parameters,
        response_elements: Value::Null,
        resources: Some(vec![Resource {
            account_id: AWS_ACCOUNT,
            kind: "AWS::DynamoDB::Table",
            arn: format!("arn:aws:dynamodb:{AWS_REGION}:{AWS_ACCOUNT}:table/{table}"),
        }]),
        additional_event_data: None,
        host: None,
    }
}

/// Returns the folder of a day's files in a trail's S3 layout:
/// `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>`.
pub fn day_folder(time: DateTime<Utc>) -> PathBuf {
    Path::new("AWSLogs")
        .join(AWS_ACCOUNT)
        .join("CloudTrail")
        .join(AWS_REGION)
        .join(format!("{:04}", time.year()))
        .join(format!("{:02}", time.month()))
        .join(format!("{:02}", time.day()))
}

/// Returns the name CloudTrail gives a log file delivered at `delivery`:
/// `<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique suffix>.json.gz`.
pub fn file_name(rng: &mut impl Rng, delivery: DateTime<Utc>) -> String {
    format!(
        "{AWS_ACCOUNT}_CloudTrail_{AWS_REGION}_{}_{}.json.gz",
        timefmt::cloudtrail_file_stamp(delivery),
        ids::hex(rng, 16)
    )
}

#[derive(Serialize)]
struct LogFile<'a> {
    #[serde(rename = "Records")]
    records: &'a [CloudTrailRecord],
}

/// Writes `records` as one gzip-compressed `{"Records":[...]}` line, as CloudTrail delivers
/// them. Returns the size of the file in bytes.
pub fn write_file(path: &Path, records: &[CloudTrailRecord]) -> Result<u64, SynthError> {
    let file = File::create(path).map_err(|source| SynthError::io(path, source))?;
    let encoder = GzEncoder::new(BufWriter::new(file), Compression::default());
    // The JSON serializer writes a few bytes at a time, and the encoder does work on every
    // write, so the serializer writes into a buffer in front of it.
    let mut input = BufWriter::with_capacity(64 * 1024, encoder);
    serde_json::to_writer(&mut input, &LogFile { records })
        .map_err(|source| SynthError::json(path, source))?;
    let encoder = input
        .into_inner()
        .map_err(|error| SynthError::io(path, error.into_error()))?;
    let writer = encoder
        .finish()
        .map_err(|source| SynthError::io(path, source))?;
    output::finish(path, writer)
}
