//! Versioned JSON files written atomically: model files and bundles.
//!
//! Every file carries a `format` tag and a `version`; loading checks both before anything
//! else, so a file from another tool, a newer release, or a truncated or edited file gives an
//! error naming the problem. Writes go to a temporary file in the same folder, then are renamed
//! over the target: a crash never leaves a half-written model where a reader looks.
//!
//! The flush to disk (`fsync`) is opt-in: set `CLV_FSYNC=1` for it. The rename alone already
//! keeps readers from ever seeing a partial file; what `fsync` adds is durability across a
//! power loss or kernel crash, and on an 80 MB prediction table it cost more wall time than
//! the scoring itself (see BENCHMARKS.md, issue #13 item 4). No peer tool fsyncs its output.

pub mod table;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ClvError, Result};

/// A file written atomically: the bytes go to a temporary file in the target's folder, and
/// [`AtomicFile::commit`] flushes it to disk and renames it over the target. Until then the
/// target keeps its old contents; dropped without a commit (an error, a kill), the temporary
/// file is removed and the target is untouched.
pub struct AtomicFile {
    target: PathBuf,
    /// The temporary file, or `None` when the target is not a regular file (`/dev/null`, a
    /// pipe): such a target is written in place, since renaming over it would replace the
    /// device or pipe with a plain file.
    tmp: Option<PathBuf>,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| ClvError::input(path.display().to_string(), "not a file path"))?
            .to_string_lossy()
            .to_string();
        let cannot = |e: std::io::Error| {
            ClvError::input(path.display().to_string(), format!("cannot create: {e}"))
        };
        let special = fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let (tmp, file) = if special {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(cannot)?;
            (None, file)
        } else {
            let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            let file = File::create(&tmp).map_err(cannot)?;
            (Some(tmp), file)
        };
        Ok(AtomicFile {
            target: path.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Flushes and renames the file into place; syncs it to disk first when [`durable`] says
    /// so (`CLV_FSYNC=1`).
    pub fn commit(mut self) -> Result<()> {
        let Some(buffered) = self.file.take() else {
            return Ok(());
        };
        let err = |e: std::io::Error| {
            ClvError::Io(std::io::Error::new(
                e.kind(),
                format!("{}: cannot write: {e}", self.target.display()),
            ))
        };
        let file = buffered.into_inner().map_err(|e| err(e.into_error()))?;
        match &self.tmp {
            Some(tmp) => {
                if durable() {
                    file.sync_all().map_err(err)?;
                }
                fs::rename(tmp, &self.target).map_err(err)
            }
            None => Ok(()),
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some()
            && let Some(tmp) = &self.tmp
        {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Whether committed files are synced to disk before the rename: when the environment sets
/// `CLV_FSYNC` to `1` or `true`. Read once per process.
pub fn durable() -> bool {
    static DURABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DURABLE.get_or_init(|| {
        std::env::var("CLV_FSYNC").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
    })
}

/// Writes `contents` to `path` atomically (temporary file + rename, fsync if [`durable`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path).map_err(|e| ClvError::ModelFile {
        path: path.display().to_string(),
        message: format!("cannot write: {e}"),
    })?;
    file.write_all(contents)?;
    file.commit().map_err(|e| ClvError::ModelFile {
        path: path.display().to_string(),
        message: format!("cannot write: {e}"),
    })
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Reads a versioned JSON file: checks that it parses, that its `format` is `format` and
/// that its `version` is one this build reads, then deserialises it.
pub fn load_json<T: DeserializeOwned>(path: &Path, format: &str, version: u32) -> Result<T> {
    let err = |message: String| ClvError::ModelFile {
        path: path.display().to_string(),
        message,
    };
    let text = fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "not valid JSON ({e}); the file is truncated or was edited"
        ))
    })?;
    let found_format = value.get("format").and_then(|v| v.as_str()).unwrap_or("");
    if found_format != format {
        return Err(err(format!(
            "expected a '{format}' file, found format '{found_format}'"
        )));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(version) => {}
        Some(v) => {
            return Err(err(format!(
                "schema version {v} is not supported by this build (it reads version {version})"
            )));
        }
        None => return Err(err("no schema version".into())),
    }
    // The path of the field that does not fit names it: `params.r: invalid type: null ...`
    // (a NaN is written as null).
    serde_path_to_error::deserialize(value).map_err(|e| {
        err(format!(
            "does not match the version {version} schema: field '{}': {}",
            e.path(),
            e.inner()
        ))
    })
}

/// A short, stable fingerprint of numbers (FNV-1a over their bit patterns), to tie a model
/// to the data it was fitted on.
pub fn fingerprint<'a>(columns: impl IntoIterator<Item = &'a [f64]>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for col in columns {
        for v in col {
            for byte in v.to_bits().to_le_bytes() {
                h ^= u64::from(byte);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Doc {
        format: String,
        version: u32,
        x: f64,
    }

    #[test]
    fn round_trip_and_version_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let doc = Doc {
            format: "clv-test".into(),
            version: 1,
            x: 0.1,
        };
        save_json(&path, &doc).unwrap();
        let back: Doc = load_json(&path, "clv-test", 1).unwrap();
        assert_eq!(back, doc);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        let e = load_json::<Doc>(&path, "clv-test", 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema version 1"), "{e}");
        let e = load_json::<Doc>(&path, "clv-other", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a 'clv-other'"), "{e}");

        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, &text[..text.len() / 2]).unwrap();
        let e = load_json::<Doc>(&path, "clv-test", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_field_that_does_not_fit_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        // A NaN estimate is written as null.
        std::fs::write(&path, r#"{"format": "clv-test", "version": 1, "x": null}"#).unwrap();
        let e = load_json::<Doc>(&path, "clv-test", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field 'x'") && e.contains("null"), "{e}");
    }

    #[test]
    fn fingerprint_changes_with_the_data() {
        let a = fingerprint([[1.0, 2.0].as_slice()]);
        assert_eq!(a, fingerprint([[1.0, 2.0].as_slice()]));
        assert_ne!(a, fingerprint([[1.0, 2.5].as_slice()]));
        assert_ne!(a, fingerprint([[1.0].as_slice(), [2.0].as_slice()]));
    }

    /// `--output /dev/null` must not rename a plain file over the device (it did, and every
    /// later `> /dev/null` on the machine then wrote into that file).
    #[cfg(unix)]
    #[test]
    fn a_device_target_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        let mut f = AtomicFile::create(null).unwrap();
        f.write_all(b"discarded").unwrap();
        f.commit().unwrap();
        assert!(fs::metadata(null).unwrap().file_type().is_char_device());
        assert!(fs::read(null).unwrap().is_empty());
    }
}
