//! `writ facts convert`: a package's fact files read, checked and linked as `writ eval` reads
//! them, and written out as one Parquet file per record kind.

use super::*;

/// `writ facts convert DIR --facts PATH… --to OUT_DIR`.
///
/// Every record kind with records in the facts is written to `OUT_DIR/KIND.parquet` (the folder
/// is made if missing; a file of that name is replaced only once the new one is whole). The
/// facts are read with the same checks and accounting as `writ eval`, and what could not be
/// carried over is said: a rejected record is not written, an unreadable value is written as
/// absent. Exit code 0 when everything read was written, 2 when some input was not (or could
/// not be read, or a file could not be written).
#[cfg(feature = "parquet")]
pub fn convert_facts<'a>(dir: &Path, facts: impl Into<FactFiles<'a>>, out: &Path, style: Style) -> Outcome {
    let mut clock = evaluate::Timings::start();
    let input = match evaluate::load_facts(dir, facts.into(), None, style, &mut clock) {
        Ok(i) => i,
        Err(out) => return out,
    };
    write_parquet(&input, out, style)
}

/// `writ facts convert` in a build without Parquet: says how to build one, reading nothing.
#[cfg(not(feature = "parquet"))]
pub fn convert_facts<'a>(_dir: &Path, _facts: impl Into<FactFiles<'a>>, out: &Path, style: Style) -> Outcome {
    let name: Arc<str> = Arc::from(out.display().to_string());
    let d = Diagnostic::error("unknown-format", &name, Span::default(), "this build of writ does not write Parquet")
        .with_help("build writ with Parquet support: `cargo build --release --features parquet`");
    fail(vec![d], &Sources::default(), style)
}

#[cfg(feature = "parquet")]
fn write_parquet(input: &evaluate::Input, out: &Path, style: Style) -> Outcome {
    use std::fmt::Write as _;
    let mut stderr = input.stderr.clone();
    let mut stdout = String::new();
    let fail_io = |stderr: String, what: String, help: &str| {
        let name: Arc<str> = Arc::from(out.display().to_string());
        let d = Diagnostic::error("io-error", &name, Span::default(), what).with_help(help.to_string());
        let mut stderr = stderr;
        stderr.push_str(&render(&[d], &Sources::default(), style));
        Outcome { stdout: String::new(), stderr, code: EXIT_INVALID, diagnostics: Vec::new() }
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        return fail_io(
            stderr,
            format!("cannot make the folder `{}`: {e}", out.display()),
            "give `--to` a folder that can be written",
        );
    }
    let facts = &input.facts;
    let schema = facts::Schema::of(&input.model);
    let mut unreadable = 0;
    for (kind, rec) in input.model.records.iter().enumerate() {
        let table = &facts.tables[kind];
        if rec.derived || table.loaded == 0 {
            continue;
        }
        let path = out.join(format!("{}.parquet", rec.name));
        let partial = out.join(format!(".{}.parquet.partial", rec.name));
        let written = std::fs::File::create(&partial)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                facts::parquet::write_kind(
                    &schema,
                    facts,
                    crate::model::RecordId::at(kind),
                    std::io::BufWriter::with_capacity(1 << 20, f),
                )
                .map_err(|e| e.to_string())
            })
            .and_then(|w| std::fs::rename(&partial, &path).map(|()| w).map_err(|e| e.to_string()));
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return fail_io(
                    stderr,
                    format!("cannot write `{}`: {e}", path.display()),
                    "check that the folder can be written and the disk has room",
                );
            }
        };
        unreadable += written.unreadable;
        let plural = if written.rows == 1 { "" } else { "s" };
        let _ = write!(stdout, "{}: {} record{plural} → {}", rec.name, written.rows, path.display());
        let rejected = table.rejected_count();
        if rejected > 0 {
            let _ = write!(stdout, " ({} rejected, not written)", rejected);
        }
        stdout.push('\n');
    }
    let lost = input.rejected > 0 || unreadable > 0 || input.invalid_facts || input.unread_facts;
    if lost {
        let mut what = Vec::new();
        if input.rejected > 0 {
            what.push(format!("{} rejected and not written", facts::records(input.rejected)));
        }
        if unreadable > 0 {
            what.push(format!("{unreadable} values could not be read and are written as absent"));
        }
        if input.unread_facts {
            what.push("some records were never read (see the errors above)".to_string());
        }
        if what.is_empty() {
            what.push("the facts have errors (see above)".to_string());
        }
        let _ = writeln!(stderr, "not everything read was converted: {}", what.join("; "));
    }
    Outcome { stdout, stderr, code: if lost { EXIT_INVALID } else { EXIT_OK }, diagnostics: input.diagnostics.clone() }
}
