//! Where the records of derived kinds are grouped, and the aggregates of clauses per subject
//! computed: in writ (`native`), in Apache DataFusion (`--engine datafusion`, built with
//! `--features datafusion`), or, for derived kinds, on an Apache Ballista cluster (`--engine
//! ballista://HOST:PORT`, built with `--features ballista`).

/// The engine that groups the records of derived kinds (`record 日數據 from 小時數據 by …`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// In writ itself.
    #[default]
    Native,
    /// Apache DataFusion in this process: the grouping, filters and aggregates a derived kind
    /// needs, and the aggregates clauses take per subject, are lowered to logical plans and run
    /// there, holding at most `memory_limit` bytes for a plan's state and spilling to disk
    /// beyond it.
    DataFusion { memory_limit: Option<u64> },
    /// A Ballista cluster, its scheduler at `scheduler` (`host:port`): the aggregates of a
    /// derived kind whose source records were read from Parquet files are computed there, by
    /// the executors reading those files; writ places the records in groups.
    Ballista { scheduler: std::sync::Arc<str> },
}

/// A clause's aggregate per subject, as an engine computed it in one pass over the aggregated
/// records ([`PerSubject`]): `count(工地揚塵監測 where 工地 == s and PM10 >= 250 ug/m3)` for every
/// 建筑工地 `s` at once.
#[derive(Debug, Default)]
pub struct BySubject {
    /// Per subject, by the key the aggregate's index looks up (the value of the chain of fields
    /// it reads of each record, `工地`): the aggregate's value and the rows it counted,
    /// ascending; `None` where writ says what the value is (no record read, a record without
    /// the value or its date). A subject not here has no record known by the date.
    pub by_key: std::collections::HashMap<crate::value::Value, Option<Counted>>,
    /// When set, `by_key` is keyed by the record bound to this slot instead: the subject whose
    /// own fields the filter reads besides its key (`企業 == x.企業 and 日期 >= x.列入日`), each
    /// of which has its own value.
    pub by_record: Option<u32>,
}

/// An aggregate's value for one subject, and the rows it counted, ascending.
pub type Counted = (crate::value::Value, std::sync::Arc<[u32]>);

/// An engine that computes the aggregates of clauses per subject: `--engine datafusion`.
pub trait PerSubject: Sync {
    /// Aggregate `a` (the expression `e`) per subject, by the key its one index part looks up,
    /// over the records known by `horizon`; `None` when the engine does not
    /// compute it (writ then does, for each subject). `period`: the days of the period the
    /// aggregate counts records `during`, where that period is computed as writ evaluates
    /// (`during m` inside `every month m`: one occurrence's ranges); `None` for any other.
    fn by_subject(
        &self,
        model: &crate::model::Model,
        facts: &crate::facts::Facts,
        e: &crate::model::TExpr,
        a: &crate::model::Aggregate,
        horizon: crate::value::Date,
        period: Option<&[(crate::value::Date, crate::value::Date)]>,
    ) -> Option<std::sync::Arc<BySubject>>;

    /// What the engine computed, and what it left to writ and why, one line each.
    fn notes(&self) -> Vec<String>;
}

/// Reads `--engine`: `native` or `datafusion`.
pub fn parse_engine(text: &str) -> Result<Engine, String> {
    match text.trim() {
        "native" => Ok(Engine::Native),
        "datafusion" if cfg!(feature = "datafusion") => Ok(Engine::DataFusion { memory_limit: None }),
        "datafusion" => Err("this writ was built without DataFusion: build it with \
             `cargo build --release --features datafusion`, or leave out `--engine`"
            .into()),
        t if t.starts_with("ballista://") => {
            let at = &t["ballista://".len()..];
            let port = at.rsplit_once(':').filter(|(host, _)| !host.is_empty()).map(|(_, port)| port.parse::<u16>());
            if !matches!(port, Some(Ok(p)) if p > 0) {
                return Err(format!("`{t}`: write the scheduler's host and port, as in `ballista://localhost:50050`"));
            }
            if cfg!(feature = "ballista") {
                Ok(Engine::Ballista { scheduler: at.into() })
            } else {
                Err("this writ was built without Ballista: build it with \
                     `cargo build --release --features ballista`, or leave out `--engine`"
                    .into())
            }
        }
        t => Err(format!("`{t}` is not an engine: write `native`, `datafusion` or `ballista://HOST:PORT`")),
    }
}

/// Reads a size as `--memory-limit` takes it: a whole number of bytes with an optional unit,
/// `B`, `KB`, `MB`, `GB` or `TB` (each 1024 times the one before; `KiB`, `K`, … too), as in
/// `4GB` or `512 MB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let unit = unit.trim().to_ascii_uppercase();
    let shift = match unit.as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("`{t}` is not a size: write a whole number and a unit, as in `4GB` or `512MB`")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{t}` is not a size: write a whole number and a unit, as in `4GB` or `512MB`"))?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err(format!("`{t}`: the memory limit must be more than nothing")),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{t}` is too large a size")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_size("4GB"), Ok(4 << 30));
        assert_eq!(parse_size("512 mb"), Ok(512 << 20));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("4.5GB").is_err());
        assert!(parse_size("GB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999TB").is_err());
        assert!(parse_size("4 gallons").is_err());
    }

    #[test]
    fn engines_by_name() {
        assert_eq!(parse_engine("native"), Ok(Engine::Native));
        assert!(parse_engine("ballista://localhost").unwrap_err().contains("host and port"));
        assert!(parse_engine("ballista://:50050").unwrap_err().contains("host and port"));
        if cfg!(feature = "ballista") {
            assert_eq!(
                parse_engine("ballista://localhost:50050"),
                Ok(Engine::Ballista { scheduler: "localhost:50050".into() })
            );
        } else {
            assert!(parse_engine("ballista://localhost:50050").unwrap_err().contains("--features ballista"));
        }
        assert!(parse_engine("spark").unwrap_err().contains("not an engine"));
        if cfg!(feature = "datafusion") {
            assert_eq!(parse_engine("datafusion"), Ok(Engine::DataFusion { memory_limit: None }));
        } else {
            assert!(parse_engine("datafusion").unwrap_err().contains("--features datafusion"));
        }
    }
}
