//! `writ sql`: the queries that compute a package's derived kinds in a database, for facts held
//! there rather than in files. Each derived kind is lowered to the DataFusion logical plan the
//! DataFusion engine builds ([`super::datafusion::Lower`]), over tables as `writ facts convert`
//! writes them, and unparsed in the database's dialect.
//!
//! The tables: one per record kind, named by it, with a column per field, named by it. Numbers
//! are decimals, a quantity in its field's unit and a percentage in percent; dates are dates,
//! moments are timestamps without a time zone (civil time); texts, enum values and parties are
//! texts, and a reference is the key of the record it refers to.
//!
//! Each derived kind the queries can compute as writ does becomes a view named by it: its group
//! fields, its counts, and its sums, extremes and the parts of its means, each null where writ's
//! value is unknown (no record, or a record without the value). What writ computes itself (values
//! built from other values, rules, percentiles, `given` conditions) is named in a comment above
//! the view; a kind that cannot be computed is a comment that says why.
//!
//! A clause's aggregate over the records whose field is the subject of its `for` (the index of
//! `count(讀數 where 站點 == s and …)`) is lowered as a derived kind grouped by that field would
//! be: a view per aggregate, one row per subject with records.

use super::datafusion::{Given, Kind, Lower, Scale, Source};
use crate::model::*;
use crate::value::Date;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::Column;
use datafusion::logical_expr::logical_plan::builder::LogicalTableSource;
use datafusion::logical_expr::{JoinType, LogicalPlanBuilder, TableSource, when};
use datafusion::prelude::{Expr, col, lit};
use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, Dialect as Unparse, DuckDBDialect, MySqlDialect, PostgreSqlDialect, SqliteDialect,
};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The databases whose SQL `writ sql` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    DuckDb,
    Sqlite,
    MySql,
    BigQuery,
}

impl Dialect {
    pub const NAMES: &'static str = "postgres, duckdb, sqlite, mysql, bigquery";

    /// Reads `--dialect`.
    pub fn parse(text: &str) -> Result<Dialect, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "duckdb" => Dialect::DuckDb,
            "sqlite" => Dialect::Sqlite,
            "mysql" => Dialect::MySql,
            "bigquery" => Dialect::BigQuery,
            t => return Err(format!("`{t}` is not a dialect writ writes: write one of {}", Dialect::NAMES)),
        })
    }

    fn unparse(self) -> Box<dyn Unparse> {
        match self {
            Dialect::Postgres => Box::new(PostgreSqlDialect {}),
            Dialect::DuckDb => Box::new(DuckDBDialect::new()),
            Dialect::Sqlite => Box::new(SqliteDialect {}),
            Dialect::MySql => Box::new(MySqlDialect {}),
            Dialect::BigQuery => Box::new(BigQueryDialect {}),
        }
    }

    /// `name` as the dialect quotes a name.
    fn quote(self, name: &str) -> String {
        let q = match self {
            Dialect::Postgres | Dialect::DuckDb => '"',
            Dialect::Sqlite | Dialect::MySql | Dialect::BigQuery => '`',
        };
        let mut out = String::with_capacity(name.len() + 2);
        out.push(q);
        for c in name.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }
}

/// The query for one derived kind, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The derived kind, and the kind it is grouped from.
    pub kind: String,
    pub from: String,
    /// `CREATE VIEW … AS SELECT …;`, or why the kind is computed in writ only.
    pub sql: Result<String, String>,
    /// What the view's columns hold, where it is not the field of that name.
    pub columns: Vec<String>,
    /// The fields writ computes itself, and why.
    pub in_writ: Vec<String>,
    /// For an aggregate of a clause, per subject: the aggregate as written, and the clause and
    /// requirement it is in; the view is named `CLAUSE.REQUIREMENT` (`.N` after the first).
    pub per: Option<String>,
}

/// The queries of every derived kind of `model`, in the order writ computes them, counting the
/// records known by `as_of` (every record when `None`).
pub fn queries(model: &Model, as_of: Option<Date>, dialect: Dialect) -> Vec<Query> {
    let mut given = HashMap::new();
    let mut schemas: HashMap<RecordId, SchemaRef> = HashMap::new();
    let mut out = Vec::new();
    for d in &model.derived {
        let rec = &model.records[d.kind.index()];
        let from = &model.records[d.from.index()];
        let mut q = Query {
            kind: rec.name.clone(),
            from: from.name.clone(),
            sql: Err(String::new()),
            columns: Vec::new(),
            in_writ: Vec::new(),
            per: None,
        };
        q.sql = if from.derived && !schemas.contains_key(&d.from) {
            Err(format!("its records are grouped from {}, which has no query", from.name))
        } else {
            lower(model, d, as_of, dialect, &mut given, &mut schemas, &mut q)
        };
        out.push(q);
    }
    for c in &model.clauses {
        clause_queries(model, c, &c.body, None, as_of, dialect, &given, &schemas, &mut out);
    }
    out
}

/// The queries of the aggregates in `stmts` (of clause `c`) that a database computes per
/// subject as writ does: over the records of one kind whose field, read directly or through
/// references, is the subject of the `for` they are in (`count(讀數 where 站點 == s and …)`),
/// with no `during`. Each is a view of one row per subject with records: its key (a column
/// named by the subject's kind), then the aggregate as a derived kind's value is (`count`,
/// `sum`, `min`, `max`, or `mean_sum` and `mean_count`). A subject with no row has no records:
/// its count is 0, and any other aggregate is unknown unless the aggregate says what it is
/// over no records (`empty`). `subject`: the slot and kind of the `for` the statements are in.
#[allow(clippy::too_many_arguments)]
fn clause_queries(
    model: &Model,
    c: &ClauseDef,
    stmts: &[TStmt],
    subject: Option<(u32, RecordId)>,
    as_of: Option<Date>,
    dialect: Dialect,
    given: &Given,
    schemas: &HashMap<RecordId, SchemaRef>,
    out: &mut Vec<Query>,
) {
    for stmt in stmts {
        let r = match stmt {
            TStmt::For(f) => {
                let subject = match &f.source {
                    ScopeSource::All(k) | ScopeSource::Keys(k, _) => Some((f.slot, *k)),
                    ScopeSource::Parties(_) => None,
                };
                clause_queries(model, c, &f.body, subject, as_of, dialect, given, schemas, out);
                continue;
            }
            TStmt::Every(e) => {
                clause_queries(model, c, &e.body, subject, as_of, dialect, given, schemas, out);
                continue;
            }
            TStmt::Let(..) => continue,
            TStmt::Require(r) => r,
        };
        let Some((slot, kind)) = subject else { continue };
        let mut found = Vec::new();
        walk(&r.condition, &mut |e| {
            if let TKind::Aggregate(a) = &e.kind
                && let [(path, other)] = a.index.as_slice()
                && other.kind == TKind::Local(slot)
            {
                found.push((e.clone(), a.clone(), path.clone()));
            }
        });
        let label = r.label.clone().unwrap_or_else(|| r.index.to_string());
        for (n, (e, a, path)) in found.into_iter().enumerate() {
            let view = if n == 0 { format!("{}.{label}", c.name) } else { format!("{}.{label}.{}", c.name, n + 1) };
            let subject_name = model.records[kind.index()].name.clone();
            let mut q = Query {
                kind: view,
                from: model.records[a.kind.index()].name.clone(),
                sql: Err(String::new()),
                columns: Vec::new(),
                in_writ: Vec::new(),
                per: Some(format!("{}, per {subject_name} (clause {}, requirement {label})", a.text, c.name)),
            };
            q.sql = clause_view(model, &e, &a, &path, &subject_name, as_of, dialect, given, schemas, &mut q);
            if q.sql.is_ok() {
                let what = if a.func == AggFunc::Count { "its count is 0" } else { "its value is unknown" };
                q.columns.push(format!("a {subject_name} with no row has no {} records: {what}", q.from));
                if r.deadline.is_some() {
                    q.columns.push(
                        "writ also judges it on its deadline, counting the records dated by then: give that \
                         date as `--as-of` for the view to count them"
                            .into(),
                    );
                }
            }
            out.push(q);
        }
    }
}

/// The view of aggregate `a` (expression `e`) per value of `path`, named as `q` says.
#[allow(clippy::too_many_arguments)]
fn clause_view(
    model: &Model,
    e: &TExpr,
    a: &Aggregate,
    path: &FieldPath,
    subject: &str,
    as_of: Option<Date>,
    dialect: Dialect,
    given: &Given,
    schemas: &HashMap<RecordId, SchemaRef>,
    q: &mut Query,
) -> Result<String, String> {
    if matches!(a.during, Some(TPeriod::Dynamic(_))) {
        return Err("it counts records during a period computed as writ evaluates (`every`)".into());
    }
    if a.empty.is_some() && a.func != AggFunc::Count {
        return Err("it says its value over no records (`empty`), which writ gives".into());
    }
    if model.records[a.kind.index()].derived && !schemas.contains_key(&a.kind) {
        return Err(format!("it reads {}, which has no query", model.records[a.kind.index()].name));
    }
    let d = per_subject(model, e, a, path);
    let tables = |kind: RecordId| Ok(table(model, kind, schemas));
    let names = [subject, a.func.name()];
    let lowered = plan_named(model, &d, &names, as_of, given, &tables)?;
    if matches!(lowered.values.as_slice(), [Out::InWrit]) {
        return Err(match &a.func {
            AggFunc::Percentile => "it is a percentile (HJ 663-2013)".into(),
            AggFunc::Share => "it is a share, of a condition per record".into(),
            _ if extreme_date(a) => format!("it is {EXTREME_DATE}"),
            _ => "its filter or its value is of a shape the queries do not compute".into(),
        });
    }
    let failed = |e: datafusion::error::DataFusionError| format!("DataFusion could not build its query: {e}");
    let unparse = dialect.unparse();
    let statement = Unparser::new(unparse.as_ref()).plan_to_sql(&lowered.plan).map_err(failed)?;
    q.columns = lowered.columns;
    q.in_writ = lowered.in_writ;
    Ok(format!("CREATE VIEW {} AS\n{statement:#};", dialect.quote(&q.kind)))
}

/// Aggregate `a` (expression `e`) per value of `path`, the field chain its index reads of the
/// aggregated record (`工地 == s`), as a derived kind: the aggregated kind grouped by that
/// chain, one value, the aggregate without the index part, over each group.
pub(super) fn per_subject(model: &Model, e: &TExpr, a: &Aggregate, path: &FieldPath) -> DerivedDef {
    // The subject's key, read from the aggregated record as the index reads it.
    let mut key = TExpr { kind: TKind::Local(a.slot), ty: Ty::Ref(a.kind), unit: None, span: e.span };
    for &(k, f) in path {
        let decl = &model.records[k.index()].fields[f as usize];
        key = TExpr { kind: TKind::Field(Box::new(key), k, f), ty: decl.ty.clone(), unit: None, span: e.span };
    }
    let value = TExpr { kind: TKind::Aggregate(Box::new(Aggregate { index: Vec::new(), ..a.clone() })), ..e.clone() };
    DerivedDef {
        kind: a.kind,
        from: a.kind,
        slot: a.slot,
        filter: None,
        groups: vec![key],
        group_slots: vec![a.slot],
        values: vec![DerivedValue { value, slot: a.slot, given: None }],
        window: None,
        slots: a.slot + 1,
    }
}

/// The view of derived kind `d`; records in `given` and `schemas` what it gives.
fn lower(
    model: &Model,
    d: &DerivedDef,
    as_of: Option<Date>,
    dialect: Dialect,
    given: &mut Given,
    schemas: &mut HashMap<RecordId, SchemaRef>,
    q: &mut Query,
) -> Result<String, String> {
    let tables = |kind: RecordId| Ok(table(model, kind, schemas));
    let lowered = plan(model, d, as_of, given, &tables)?;
    let rec = &model.records[d.kind.index()];
    let failed = |e: datafusion::error::DataFusionError| format!("DataFusion could not build its query: {e}");
    let unparse = dialect.unparse();
    let statement = Unparser::new(unparse.as_ref()).plan_to_sql(&lowered.plan).map_err(failed)?;
    q.columns = lowered.columns;
    q.in_writ = lowered.in_writ;
    schemas.insert(d.kind, Arc::new(lowered.plan.schema().as_arrow().clone()));
    given.insert(d.kind, lowered.fields);
    Ok(format!("CREATE VIEW {} AS\n{statement:#};", dialect.quote(&rec.name)))
}

/// How a plan of [`plan`] gives a value of the derived kind, in the columns of its result.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
pub(super) enum Out {
    /// writ computes it.
    InWrit,
    /// A count, in the column of the value's name.
    Count,
    /// A sum or an extreme in `scale`, null where writ's value is unknown.
    Value(Scale),
    /// A mean: `NAME_sum` in `scale` (null where unknown) over `NAME_count`.
    Mean(Scale),
}

/// A derived kind lowered over tables as `writ facts convert` writes them.
#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
pub(super) struct Lowered {
    pub plan: datafusion::logical_expr::LogicalPlan,
    /// Per group field, what its column holds, in `scale`.
    pub groups: Vec<(Kind, Scale)>,
    /// Per value of the kind, how the result gives it.
    pub values: Vec<Out>,
    /// Per field of the kind, what later kinds may read of it (see [`Given`]).
    pub fields: Vec<Result<(Kind, Scale), String>>,
    /// What the columns hold, and what writ computes itself, as `writ sql` says them.
    pub columns: Vec<String>,
    pub in_writ: Vec<String>,
}

/// The plan that computes derived kind `d` over the tables `tables` gives by kind: the group
/// fields named as the kind names them, then its values (see [`Out`]), counting the records
/// known by `as_of` (all when `None`). `given` holds the kinds derived before.
pub(super) fn plan(
    model: &Model,
    d: &DerivedDef,
    as_of: Option<Date>,
    given: &Given,
    tables: &dyn Fn(RecordId) -> Result<Arc<dyn TableSource>, String>,
) -> Result<Lowered, String> {
    let names: Vec<&str> = model.records[d.kind.index()].fields.iter().map(|f| f.name.as_str()).collect();
    plan_named(model, d, &names, as_of, given, tables)
}

/// [`plan`], its columns named by `names` (per field of the kind, group fields first).
fn plan_named(
    model: &Model,
    d: &DerivedDef,
    names: &[&str],
    as_of: Option<Date>,
    given: &Given,
    tables: &dyn Fn(RecordId) -> Result<Arc<dyn TableSource>, String>,
) -> Result<Lowered, String> {
    let from = &model.records[d.from.index()].name;
    let failed = |e: datafusion::error::DataFusionError| format!("DataFusion could not build its query: {e}");
    let (shape, group_kinds, joins) = {
        let mut low = Lower::declared(model, d.from, given);
        let shape = low.shape(d, as_of, true)?;
        let mut kinds = Vec::new();
        for g in &d.groups {
            let (_, kind, _) = low.expr(g, d.slot)?;
            kinds.push((kind, low.scale(g, d.slot).unwrap_or(Scale::Held)));
        }
        let Source::Declared { joins, .. } = low.source else { unreachable!("lowered over tables") };
        (shape, kinds, joins)
    };
    let mut builder = LogicalPlanBuilder::scan(from.as_str(), tables(d.from)?, None).map_err(failed)?;
    for (i, (_, column, target)) in joins.into_iter().enumerate() {
        let to = &model.records[target.index()];
        let alias = format!("r{i}");
        let right = LogicalPlanBuilder::scan(to.name.as_str(), tables(target)?, None)
            .and_then(|b| b.alias(alias.as_str()))
            .and_then(|b| b.build())
            .map_err(failed)?;
        let key = Column::new(Some(alias.as_str()), to.fields[to.key].name.as_str());
        builder = builder.join(right, JoinType::Left, (vec![column], vec![key]), None).map_err(failed)?;
    }
    if let Some(f) = shape.filter {
        builder = builder.filter(f).map_err(failed)?;
    }
    let mut aggregates = Vec::new();
    let mut projection: Vec<Expr> = Vec::new();
    let mut fields: Vec<Result<(Kind, Scale), String>> =
        vec![Err("which writ computes itself".to_string()); names.len()];
    let (mut columns, mut in_writ, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for (i, kind) in group_kinds.iter().enumerate() {
        projection.push(col(format!("g{i}")).alias(names[i]));
        fields[i] = Ok(kind.clone());
    }
    let first = d.first_value();
    for (j, (dv, lowered)) in d.values.iter().zip(shape.values).enumerate() {
        let name = names[first + j];
        let Some((computed, exprs)) = lowered else {
            in_writ.push(format!("{name}: {}", why_in_writ(&dv.value)));
            values.push(Out::InWrit);
            continue;
        };
        let (n, v, s) = (col(format!("n{j}")), col(format!("v{j}")), col(format!("s{j}")));
        // writ's value is unknown where a record has no date to place it in the period.
        let dated = computed.undated.then(|| col(format!("u{j}")).eq(lit(0i64)));
        // writ's value is unknown where no record was read, or a record lacks the value.
        let known = || {
            let known = n.clone().gt(lit(0i64)).and(v.clone().eq(n.clone()));
            match &dated {
                Some(d) => d.clone().and(known),
                None => known,
            }
        };
        let scale = match &dv.value.kind {
            TKind::Aggregate(a) => {
                let low = Lower::declared(model, d.from, given);
                a.value.as_ref().and_then(|x| low.scale(x, a.slot)).unwrap_or(Scale::Held)
            }
            _ => Scale::Held,
        };
        let unit = match &scale {
            Scale::Unit(u) => format!(", in {}", u.name),
            Scale::Percent => ", in percent".to_string(),
            Scale::Held => String::new(),
        };
        match computed.func {
            AggFunc::Count => match &dated {
                None => {
                    projection.push(n.clone().alias(name));
                    fields[first + j] = Ok((Kind::Num, Scale::Held));
                    values.push(Out::Count);
                }
                Some(dated) => {
                    let case = when(dated.clone(), n.clone()).end().map_err(failed)?;
                    projection.push(case.alias(name));
                    columns.push(format!("{name}: null where a record has no date to place in the period"));
                    fields[first + j] =
                        Err("which may be unknown, and a null in SQL does not tell unknown from absent".into());
                    values.push(Out::Count);
                }
            },
            AggFunc::Sum | AggFunc::Min | AggFunc::Max => {
                let case = when(known(), s.clone()).end().map_err(failed)?;
                projection.push(case.alias(name));
                columns.push(format!("{name}: null where writ's value is unknown{unit}"));
                // writ tells a value that is unknown from one that is not there (`exists` of
                // an unknown value is unknown); a null tells neither.
                fields[first + j] =
                    Err("which may be unknown, and a null in SQL does not tell unknown from absent".into());
                values.push(Out::Value(scale));
            }
            AggFunc::Mean => {
                let (sum, count) = (format!("{name}_sum"), format!("{name}_count"));
                let case = when(known(), s.clone()).end().map_err(failed)?;
                projection.push(case.alias(sum.as_str()));
                projection.push(n.clone().alias(count.as_str()));
                columns.push(format!("{name} = {sum} / {count}, divided exactly by writ; null where unknown{unit}"));
                values.push(Out::Mean(scale));
            }
            AggFunc::Percentile | AggFunc::Share => {
                in_writ.push(format!("{name}: a percentile, taken by writ (HJ 663-2013)"));
                values.push(Out::InWrit);
                continue;
            }
        }
        aggregates.extend(exprs);
        if let Some((_, text)) = &dv.given {
            in_writ.push(format!("{name} is kept only given {text}"));
            fields[first + j] = Err("which writ keeps only under a condition".into());
        }
    }
    builder = builder.aggregate(shape.groups, aggregates).map_err(failed)?;
    let plan = builder.project(projection).and_then(|b| b.build()).map_err(failed)?;
    Ok(Lowered { plan, groups: group_kinds, values, fields, columns, in_writ })
}

/// What the queries say of the earliest or latest date or moment of records (`min(文件.日期)`).
/// The DataFusion engine computes it over writ's columns; the queries leave it to writ, as the
/// engines that read a view's values back (for records not kept, and on a Ballista cluster)
/// read them as numbers.
const EXTREME_DATE: &str = "the earliest or latest date or moment of its records, which the queries leave to writ";

/// Whether aggregate `a` is the earliest or latest date or moment of its records.
fn extreme_date(a: &Aggregate) -> bool {
    matches!(a.func, AggFunc::Min | AggFunc::Max)
        && a.value.as_ref().is_some_and(|v| matches!(v.ty, Ty::Date | Ty::DateTime))
}

/// Why a value that is not lowered is computed in writ.
fn why_in_writ(e: &TExpr) -> &'static str {
    match &e.kind {
        TKind::Aggregate(a) if extreme_date(a) => EXTREME_DATE,
        TKind::Aggregate(_) => "an aggregate of a shape the queries do not compute",
        TKind::Rule(..) => "a rule",
        _ => "built from other values",
    }
}

/// The table of kind `kind` as the queries read it: a derived kind's view, or the kind's table
/// as `writ facts convert` writes it.
fn table(model: &Model, kind: RecordId, schemas: &HashMap<RecordId, SchemaRef>) -> Arc<dyn TableSource> {
    if let Some(schema) = schemas.get(&kind) {
        return Arc::new(LogicalTableSource::new(schema.clone()));
    }
    Arc::new(LogicalTableSource::new(Arc::new(declared_schema(model, kind))))
}

/// The columns of kind `kind` as `writ facts convert` writes them.
pub fn declared_schema(model: &Model, kind: RecordId) -> Schema {
    let rec = &model.records[kind.index()];
    let fields = rec.fields.iter().enumerate().filter(|&(f, _)| !(rec.keyless && f == rec.key)).map(|(_, decl)| {
        let ty = match decl.ty {
            Ty::Bool => DataType::Boolean,
            Ty::Date => DataType::Date32,
            Ty::DateTime => DataType::Timestamp(TimeUnit::Millisecond, None),
            Ty::Number | Ty::Percent | Ty::Quantity(_) => DataType::Decimal128(38, 10),
            _ => DataType::Utf8,
        };
        Field::new(decl.name.as_str(), ty, true)
    });
    Schema::new(fields.collect::<Vec<_>>())
}

/// The queries as `writ sql` prints them: per derived kind, what it is, what its columns hold
/// and what writ computes itself, as comments, then its view or why it has none.
pub fn render(model: &Model, queries: &[Query], as_of: Option<Date>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- {}: the queries of its derived kinds, and of its clauses' aggregates per subject",
        crate::text::shown(&model.plan.name)
    );
    let _ = writeln!(out, "-- over tables as `writ facts convert` writes them: one per record kind, named by it,");
    let _ = writeln!(out, "-- with a column per field; quantities in their field's unit, percentages in percent.");
    match as_of {
        Some(d) => {
            let _ = writeln!(out, "-- Records dated after {d} are not counted.");
        }
        None => {
            let _ = writeln!(
                out,
                "-- Every record is counted, whatever its date (give `--as-of` to count those known by a date)."
            );
        }
    }
    for q in queries {
        match &q.per {
            None => {
                let _ = writeln!(out, "\n-- {} (from {})", q.kind, q.from);
            }
            Some(per) => {
                let _ = writeln!(out, "\n-- {}: {per}", q.kind);
            }
        }
        match &q.sql {
            Err(why) if q.per.is_some() => {
                let _ = writeln!(out, "-- no query: writ computes it itself, because {why}");
            }
            Err(why) => {
                let _ = writeln!(out, "-- no query: writ groups it itself, because {why}");
            }
            Ok(sql) => {
                for c in &q.columns {
                    let _ = writeln!(out, "--   {c}");
                }
                for w in &q.in_writ {
                    let _ = writeln!(out, "--   computed by writ: {w}");
                }
                out.push_str(sql);
                out.push('\n');
            }
        }
    }
    out
}
