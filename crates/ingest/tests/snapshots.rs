//! Snapshot tests over the fixture folders: every file under `tests/fixtures/` is decoded and
//! the resulting events, unsupported categories and rejects are compared with the stored
//! snapshot. Adding a fixture file adds a test.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::Path;

use riposte_ingest::source::Input;
use riposte_ingest::{Decoded, Decoder, decode_input};
use serde_json::{Value, json};

fn decode_fixture(path: &Path) -> Value {
    let mut results = Vec::new();
    decode_input(
        &Input::File(path.to_path_buf()),
        &Decoder::default(),
        &mut |decoded| {
            results.push(match decoded {
                Decoded::Event(mut event) => {
                    // The location names the fixture path, which differs between machines.
                    event.location = None;
                    json!({"event": event})
                }
                Decoded::Unsupported { family, category } => {
                    json!({"unsupported": {"family": family.as_str(), "category": category}})
                }
                Decoded::Rejected(reject) => json!({
                    "rejected": {
                        "line": reject.location.line,
                        "index": reject.index,
                        "reason": reject.reason,
                    }
                }),
            });
        },
    )
    .unwrap();
    Value::Array(results)
}

#[test]
fn fixtures() {
    // serde_json keeps insertion order when another workspace crate switches on its
    // `preserve_order` feature, so maps are sorted to keep one snapshot for both builds.
    let mut settings = insta::Settings::clone_current();
    settings.set_sort_maps(true);
    settings.bind(|| {
        insta::glob!("fixtures/**/*.*", |path| {
            insta::assert_json_snapshot!(decode_fixture(path));
        });
    });
}
