//! `writ sql`: the queries that compute a package's derived kinds in a database.

use super::*;

/// `writ sql DIR --dialect D [--as-of DATE]`: the package checked, then per derived kind the
/// view that computes it in dialect `dialect` (see [`eval::sql`]), or why writ computes it
/// itself. Exit 0, or 2 when the package has errors.
#[cfg(feature = "datafusion")]
pub fn sql(dir: &Path, dialect: &str, as_of: Option<Date>, style: Style) -> Outcome {
    let dialect = match eval::sql::Dialect::parse(dialect) {
        Ok(d) => d,
        Err(why) => return refused(why),
    };
    let (_, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let model = &checked.model;
    let queries = eval::sql::queries(model, as_of, dialect);
    let stderr = if queries.is_empty() {
        format!("{}: the package derives no kinds, so there is no query to write\n", dir.display())
    } else {
        String::new()
    };
    Outcome { stdout: eval::sql::render(model, &queries, as_of), stderr, code: EXIT_OK, diagnostics: Vec::new() }
}

/// `writ sql` in a build without DataFusion: says how to build one.
#[cfg(not(feature = "datafusion"))]
pub fn sql(_dir: &Path, _dialect: &str, _as_of: Option<Date>, _style: Style) -> Outcome {
    refused(
        "this writ was built without DataFusion, which writes the queries: build it with \
         `cargo build --release --features datafusion`"
            .into(),
    )
}

fn refused(why: String) -> Outcome {
    Outcome { stdout: String::new(), stderr: format!("error: {why}\n"), code: EXIT_INVALID, diagnostics: Vec::new() }
}
