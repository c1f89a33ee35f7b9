//! The link between a hunt and its state store (`--state FILE`): identity ids, baselines to
//! load and save, and the batch of changes written at each commit barrier together with the
//! inputs' progress, so that a commit is all or nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use riposte_baseline::{Baseline, DirtyBaseline, FORMAT_VERSION};
use riposte_identity::GrantedPrivilege;
use riposte_model::{Event, IdentityKey, IdentityKind, Target, Timestamp};
use riposte_store::{
    Batch, Checkpoint, FileHead, IdentityUpsert, Link, LinkSource, PrivilegeSeen, RunCounts,
    RunStatus, Store, StoreError,
};

/// A failure of the state store, which stops the hunt: going on would lose what it learns.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored baseline of identity {identity} in `{path}` is unreadable: {reason}")]
    Baseline {
        path: PathBuf,
        identity: i64,
        reason: String,
    },
}

/// The state store of a hunt and the changes not yet committed.
pub struct Persistence {
    store: Store,
    run_id: i64,
    upserts: HashMap<i64, IdentityUpsert>,
    batch: Batch,
    /// Privileges read from the store, per identity id.
    stored_privileges: HashMap<i64, Vec<GrantedPrivilege>>,
}

/// Where to start reading an input file again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartAt {
    /// Read the whole file.
    Beginning,
    /// Skip this many frames, which an earlier run processed.
    Frames(u64),
    /// An earlier run read the whole file and it has not changed.
    Done,
}

impl Persistence {
    /// Opens the store and records the start of a run.
    pub fn open(path: &Path, command: &str, started_at: Timestamp) -> Result<Self, StateError> {
        let mut store = Store::open(path)?;
        store.lock_for_writing()?;
        let run_id = store.begin_run(command, started_at)?;
        Ok(Self {
            store,
            run_id,
            upserts: HashMap::new(),
            batch: Batch::new(),
            stored_privileges: HashMap::new(),
        })
    }

    pub(crate) fn identity_id(&mut self, key: &IdentityKey) -> Result<i64, StateError> {
        Ok(self.store.resolve_identity(key)?.id)
    }

    pub(crate) fn load_baseline(&mut self, id: i64) -> Result<Option<Baseline>, StateError> {
        let Some(stored) = self.store.baseline(id)? else {
            return Ok(None);
        };
        match Baseline::from_bytes(&stored.data) {
            Ok(baseline) => Ok(Some(baseline)),
            Err(error) => {
                // One damaged baseline must not stop every later hunt: the identity starts
                // learning again and the next commit overwrites the damaged copy.
                tracing::error!(
                    state.path = %self.store.path().display(),
                    identity.id = id,
                    %error,
                    "stored baseline unreadable; the identity starts learning again"
                );
                Ok(None)
            }
        }
    }

    /// Returns where to resume `path`, whose size is `size` and whose decompressed first bytes
    /// are `head`. The checkpoint is looked up by path, else by content, so that a log renamed
    /// by rotation or compressed is not read again from the start.
    pub(crate) fn start_at(
        &self,
        path: &Path,
        size: u64,
        head: &FileHead,
    ) -> Result<StartAt, StateError> {
        let by_path = self.store.checkpoint(path)?;
        let same_content = |checkpoint: &Checkpoint| {
            checkpoint.head_len <= head.len
                && checkpoint.head_sha256.len() == head.sha256.len()
                && (checkpoint.head_len == head.len && checkpoint.head_sha256 == head.sha256)
        };
        let checkpoint = match by_path {
            Some(checkpoint) if same_content(&checkpoint) => checkpoint,
            other => {
                if other.is_some() {
                    tracing::warn!(
                        source.path = %path.display(),
                        "input replaced since the last run; looking for its content elsewhere"
                    );
                }
                match self.store.checkpoint_by_head(head.len, &head.sha256)? {
                    Some(checkpoint) => checkpoint,
                    None => return Ok(StartAt::Beginning),
                }
            }
        };
        let finished = checkpoint.offset > 0 && checkpoint.offset == checkpoint.file_size;
        if finished && checkpoint.path == path && size == checkpoint.file_size {
            return Ok(StartAt::Done);
        }
        Ok(StartAt::Frames(checkpoint.records_read))
    }

    /// Counts an event of the actor `id` in the pending upsert of that identity.
    pub(crate) fn record_actor(&mut self, id: i64, event: &Event) {
        let actor = &event.actor;
        let upsert = self.upserts.entry(id).or_insert_with(|| IdentityUpsert {
            id,
            key: actor.key.clone(),
            kind: actor.kind,
            kind_override: None,
            display_name: actor.name.clone(),
            email: actor.email.clone(),
            first_seen: event.time,
            last_seen: event.time,
            new_events: 0,
            new_authentications: 0,
        });
        upsert.first_seen = upsert.first_seen.min(event.time);
        upsert.last_seen = upsert.last_seen.max(event.time);
        upsert.new_events += 1;
        if event.is_successful_authentication() {
            upsert.new_authentications += 1;
        }
        if actor.kind != IdentityKind::Unknown {
            upsert.kind = actor.kind;
        }
        if actor.email.is_some() {
            upsert.email.clone_from(&actor.email);
        }
    }

    fn touch_identity(
        &mut self,
        id: i64,
        key: IdentityKey,
        name: Option<Arc<str>>,
        time: Timestamp,
    ) {
        let upsert = self.upserts.entry(id).or_insert_with(|| IdentityUpsert {
            id,
            key,
            kind: IdentityKind::Unknown,
            kind_override: None,
            display_name: name,
            email: None,
            first_seen: time,
            last_seen: time,
            new_events: 0,
            new_authentications: 0,
        });
        upsert.first_seen = upsert.first_seen.min(time);
    }

    pub(crate) fn record_link(
        &mut self,
        actor: i64,
        other: i64,
        link: &riposte_identity::Link,
        time: Timestamp,
    ) {
        let Ok(source) = link.source.as_str().parse::<LinkSource>() else {
            return;
        };
        self.batch.add_link(Link {
            a: actor,
            b: other,
            source,
            evidence: Some(link.evidence.to_string().into()),
            first_seen: time,
        });
    }

    pub(crate) fn record_privileges(
        &mut self,
        target_id: i64,
        target: &Target,
        event: &Event,
        granted: &[GrantedPrivilege],
    ) {
        let key = IdentityKey {
            provider: event.format.provider(),
            id: target.id.clone(),
        };
        self.touch_identity(target_id, key, target.name.clone(), event.time);
        for privilege in granted {
            self.batch.add_privilege(PrivilegeSeen {
                identity_id: target_id,
                privilege: privilege.name.clone(),
                admin: privilege.admin_equivalent,
                first_seen: event.time,
                event_id: event.event_id.as_ref().into(),
            });
        }
    }

    /// Returns the privileges stored for an identity by earlier runs.
    pub(crate) fn privileges(&mut self, id: i64) -> Vec<GrantedPrivilege> {
        if let Some(cached) = self.stored_privileges.get(&id) {
            return cached.clone();
        }
        let stored: Vec<GrantedPrivilege> = self
            .store
            .privileges(id)
            .unwrap_or_default()
            .into_iter()
            .map(|privilege| GrantedPrivilege {
                name: privilege.privilege,
                admin_equivalent: privilege.admin,
                granted_at: Some(privilege.first_seen),
            })
            .collect();
        self.stored_privileges.insert(id, stored.clone());
        stored
    }

    /// Writes the pending changes, the baselines given and the checkpoints in one transaction.
    pub(crate) fn commit(
        &mut self,
        baselines: Vec<DirtyBaseline>,
        checkpoints: Vec<Checkpoint>,
        counts: RunCounts,
    ) -> Result<(), StateError> {
        self.batch.set_run_progress(self.run_id, counts);
        for (_, upsert) in self.upserts.drain() {
            self.batch.upsert_identity(upsert);
        }
        for dirty in baselines {
            self.batch.put_baseline(riposte_store::Baseline {
                identity_id: dirty.id as i64,
                format_version: u32::from(FORMAT_VERSION),
                data: dirty.bytes,
                updated_at: checkpoints
                    .first()
                    .map_or_else(chrono::Utc::now, |checkpoint| checkpoint.updated_at),
            });
        }
        for checkpoint in checkpoints {
            self.batch.put_checkpoint(checkpoint);
        }
        let result = self.store.commit(&self.batch);
        self.batch.clear();
        self.stored_privileges.clear();
        result.map_err(StateError::from)
    }

    /// Returns the id of an identity a finding or incident is about, recording it when it has
    /// no row yet (a network source, say).
    pub(crate) fn result_identity(
        &mut self,
        identity: &riposte_model::IdentityRef,
        time: Timestamp,
    ) -> Result<i64, StateError> {
        let resolved = self.store.resolve_identity(&identity.key)?;
        if resolved.is_new && !self.upserts.contains_key(&resolved.id) {
            self.upserts.insert(
                resolved.id,
                IdentityUpsert {
                    id: resolved.id,
                    key: identity.key.clone(),
                    kind: identity.kind,
                    kind_override: None,
                    display_name: identity.name.clone(),
                    email: identity.email.clone(),
                    first_seen: time,
                    last_seen: time,
                    new_events: 0,
                    new_authentications: 0,
                },
            );
        }
        Ok(resolved.id)
    }

    /// Returns the stored identities with the e-mail address `email`.
    pub(crate) fn identities_with_email(&self, email: &str) -> Vec<riposte_store::IdentityRecord> {
        self.store.identities_with_email(email).unwrap_or_default()
    }

    /// Adds findings and incidents to the next commit.
    pub(crate) fn put_results(
        &mut self,
        findings: &[(i64, riposte_model::Finding)],
        incidents: &[(i64, riposte_model::Incident)],
    ) -> Result<(), StateError> {
        for (identity, finding) in findings {
            self.batch
                .put_finding(riposte_store::FindingRecord::from_finding(
                    *identity, finding,
                )?);
        }
        for (identity, incident) in incidents {
            self.batch
                .put_incident(riposte_store::IncidentRecord::from_incident(
                    *identity, incident,
                )?);
        }
        Ok(())
    }

    /// Records the end of the run.
    pub(crate) fn finish(mut self, counts: RunCounts, completed: bool) -> Result<(), StateError> {
        let status = if completed {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        };
        self.store
            .finish_run(self.run_id, chrono::Utc::now(), counts, status)?;
        self.store.close()?;
        Ok(())
    }
}

/// Builds the checkpoint of an input file: `frames` frames processed, and the whole file when
/// `finished`.
pub(crate) fn checkpoint(
    path: &Path,
    frames: u64,
    finished: bool,
    head: &FileHead,
    file_size: u64,
) -> Checkpoint {
    Checkpoint {
        path: path.to_path_buf(),
        file_size,
        // The byte offset marks only a fully read file; partial progress is counted in frames.
        offset: if finished { file_size } else { 0 },
        head_len: head.len,
        head_sha256: head.sha256.clone(),
        records_read: frames,
        updated_at: chrono::Utc::now(),
    }
}
