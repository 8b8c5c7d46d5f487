//! The DataFusion engine (`--engine datafusion`, `--features datafusion`): the grouping of a
//! derived kind lowered to an Apache DataFusion logical plan, built with its plan builder, and
//! run under a memory limit, spilling to disk beyond it.
//!
//! The plan reads the source kind's columns as writ holds them, after every value was read and
//! checked: exact numbers as `Decimal128` at their column's scale, dates as days and moments as
//! seconds (civil time), texts and references as indexes (equal texts, equal indexes), and each
//! row's number. It keeps the rows known by the date (`dated` on or before it) that pass the
//! kind's `where`, groups them by the `by` fields, and computes per group its first row, its
//! rows, and the aggregates writ would compute over them the same way: counts, sums, means,
//! extremes and percentiles of numbers held exactly, and the earliest and latest dates and
//! moments, under the aggregate's own filter. Sums are of `Decimal128` mantissas, never floats,
//! so the order of partitions changes nothing.
//!
//! Writ then takes the groups in the order it finds them itself (by first row), reads each
//! group's fields from its first row, and computes what the plan did not: values built from
//! other values (`有效 = 小時數 >= 20`), `given` conditions, aggregates of other shapes.
//!
//! Only what reads the same as writ reads it is lowered: fields with no unreadable value, and
//! with a value in every row except where only its presence is asked (`exists(O3)`). Anything
//! else (a window, a field with unreadable values, arithmetic, texts compared) is declined, with
//! the reason, and writ groups that kind itself.

use super::derive::Grouped;
use crate::facts::{Facts, Typed};
use crate::model::*;
use crate::syntax::ast::{BinOp, UnOp};
use crate::value::{Date, DateTime, Value};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Int32Array, Int64Array, RecordBatch, UInt32Array,
};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, Int32Type, Int64Type, Schema, UInt32Type};
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions::datetime::expr_fn::date_part;
use datafusion::functions_aggregate::expr_fn::{array_agg, count, max, min, sum};
use datafusion::logical_expr::{ExprFunctionExt, JoinType, LogicalPlanBuilder, Operator, binary_expr, not, when};
use datafusion::prelude::{Expr, SessionConfig, SessionContext, cast, col, lit};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Rows per batch handed to DataFusion.
const BATCH: usize = 1 << 16;

/// A DataFusion session: its threads, and its memory pool.
pub(super) struct Session {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
    partitions: usize,
}

impl Session {
    /// A session on `threads` threads, its plans holding at most `memory_limit` bytes.
    pub fn new(threads: usize, memory_limit: Option<u64>) -> Result<Session, String> {
        let threads = threads.max(1);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("datafusion")
            .build()
            .map_err(|e| format!("DataFusion's threads cannot be started: {e}"))?;
        let mut env = RuntimeEnvBuilder::new();
        if let Some(limit) = memory_limit {
            env = env.with_memory_limit(usize::try_from(limit).unwrap_or(usize::MAX), 1.0);
        }
        let env = env.build_arc().map_err(|e| format!("DataFusion cannot be started: {e}"))?;
        let config = SessionConfig::new().with_target_partitions(threads);
        Ok(Session { ctx: SessionContext::new_with_config_rt(config, env), runtime, partitions: threads })
    }

    /// The groups of derived kind `d` as of `as_of`: `Ok(Err(why))` when the kind cannot be
    /// lowered exactly, `Err` when DataFusion failed.
    pub fn group(
        &self,
        model: &Model,
        facts: &Facts,
        d: &DerivedDef,
        as_of: Date,
    ) -> Result<Result<Grouped, String>, String> {
        let plan = match Plan::lower(model, facts, d, as_of) {
            Ok(plan) => plan,
            Err(why) => return Ok(Err(why)),
        };
        let name = &model.records[d.kind.index()].name;
        let failed = |e: datafusion::error::DataFusionError| match e {
            datafusion::error::DataFusionError::ResourcesExhausted(why) => {
                format!("DataFusion ran out of memory grouping {name} ({why}): raise `--memory-limit`")
            }
            e => format!("DataFusion failed grouping {name}: {e}"),
        };
        let batches = self.run(&plan).map_err(failed)?;
        Ok(Ok(plan.read(&batches)?))
    }

    /// The values of derived kind `d` as of `as_of`, by group, computed from the Parquet files
    /// its source records were read from ([`super::files`]), for a kind whose records writ did
    /// not keep (the kinds the plan joins from the records writ holds): `Ok(Err(why))` when
    /// those files or records cannot be read as writ read them, `Err` when DataFusion failed.
    pub fn values_from_files(
        &self,
        model: &Model,
        facts: &Facts,
        d: &DerivedDef,
        as_of: Date,
    ) -> Result<Result<super::derive::ByKey, String>, String> {
        // The kind not kept from its files; the kinds its records refer to from writ's.
        let tables = |kind: RecordId| {
            if facts.tables[kind.index()].streamed {
                super::files::parquet_table(&self.ctx, &self.runtime, model, facts, kind)
            } else {
                super::files::held_table(model, facts, kind)
            }
        };
        let lowered = match super::sql::plan(model, d, Some(as_of), &Default::default(), &tables) {
            Ok(l) => l,
            Err(why) => return Ok(Err(why)),
        };
        let name = &model.records[d.kind.index()].name;
        let batches = (self.runtime)
            .block_on(async { self.ctx.execute_logical_plan(lowered.plan.clone()).await?.collect().await })
            .map_err(|e| match e {
                datafusion::error::DataFusionError::ResourcesExhausted(why) => {
                    format!("DataFusion ran out of memory computing {name} ({why}): raise `--memory-limit`")
                }
                e => format!("DataFusion failed computing {name}: {e}"),
            })?;
        super::files::read(model, facts, d, &lowered, &batches).map(Ok)
    }

    /// Aggregate `a` of a clause (the expression `e`), whose index reads the chain `path` of
    /// each record, per subject over the records known by `horizon`, with the rows it counts:
    /// `Ok(Err(why))` when it cannot be computed as writ computes it, `Err` when DataFusion
    /// failed.
    pub fn by_subject(
        &self,
        model: &Model,
        facts: &Facts,
        e: &TExpr,
        a: &Aggregate,
        path: &Path,
        (horizon, period): (Date, Option<&[(Date, Date)]>),
    ) -> Result<Result<super::BySubject, String>, String> {
        let d = super::sql::per_subject(model, e, a, path);
        // A filter that reads the subject's own fields besides its key: a value per subject
        // record, over the records of its kind joined on the key.
        let subject = match subject_read(a) {
            Some(Ok(s)) => Some(s),
            Some(Err(why)) => return Ok(Err(why)),
            None => None,
        };
        let plan = match Plan::lower_counting(model, facts, &d, horizon, true, period, subject) {
            Ok(plan) => plan,
            Err(why) => return Ok(Err(why)),
        };
        let Some(computed) = plan.values.first().and_then(|v| v.as_ref()) else {
            return Ok(Err(match a.func {
                AggFunc::Percentile if a.filter.is_some() => "it is a percentile under a filter".into(),
                AggFunc::Share => "it is a share, of a condition per record".into(),
                _ => "its filter or its value is of a shape DataFusion is not given".into(),
            }));
        };
        let failed = |e: datafusion::error::DataFusionError| match e {
            datafusion::error::DataFusionError::ResourcesExhausted(why) => {
                format!("DataFusion ran out of memory ({why}): raise `--memory-limit`")
            }
            e => format!("DataFusion failed: {e}"),
        };
        let batches = self.run(&plan).map_err(failed)?;
        let mut by = super::BySubject { by_record: subject.map(|s| s.0), ..Default::default() };
        for b in &batches {
            let lists = b.column_by_name("k0").ok_or("DataFusion's result has no rows counted")?;
            let lists = lists.as_list_opt::<i32>().ok_or("DataFusion gave rows of another type")?;
            let counted = |r: usize| -> Result<Arc<[u32]>, String> {
                let counted = lists.value(r);
                let counted = counted.as_primitive_opt::<UInt32Type>().ok_or("DataFusion gave rows of another type")?;
                let mut rows: Vec<u32> = counted.values().to_vec();
                rows.sort_unstable();
                Ok(Arc::from(rows))
            };
            if let Some((_, kind, _)) = subject {
                let records = b.column_by_name("s_row").ok_or("DataFusion's result has no subjects")?;
                let records =
                    records.as_primitive_opt::<UInt32Type>().ok_or("DataFusion gave subjects of another type")?;
                for r in 0..b.num_rows() {
                    let value = match value(b, 0, r, computed)? {
                        Some(v) => Some((v, counted(r)?)),
                        None => None,
                    };
                    by.by_key.insert(Value::Ref(kind, records.value(r)), value);
                }
                continue;
            }
            let first = b.column_by_name("first_").ok_or("DataFusion's result has no first rows")?;
            let first = first.as_primitive_opt::<UInt32Type>().ok_or("DataFusion gave first rows of another type")?;
            for r in 0..b.num_rows() {
                if first.is_null(r) {
                    continue;
                }
                // The subject's key, read from the group's first row as writ's index reads it;
                // records with none (an optional field or reference without a value) are in
                // no subject's group, as writ's index holds them in none.
                let mut row = first.value(r);
                let mut key = None;
                for &(kind, field) in path {
                    key = facts.tables[kind.index()].get(field as usize, row);
                    match &key {
                        Some(Value::Ref(_, next)) => row = *next,
                        Some(_) => {}
                        None => break,
                    }
                }
                let Some(key) = key else { continue };
                let value = match value(b, 0, r, computed)? {
                    Some(v) => Some((v, counted(r)?)),
                    None => None,
                };
                by.by_key.insert(super::expr::normalize_key(&key), value);
            }
        }
        Ok(Ok(by))
    }

    fn run(&self, plan: &Plan<'_>) -> datafusion::error::Result<Vec<RecordBatch>> {
        let batch = plan.batch()?;
        let schema = batch.schema();
        let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); self.partitions];
        for (i, start) in (0..batch.num_rows()).step_by(BATCH).enumerate() {
            partitions[i % self.partitions].push(batch.slice(start, BATCH.min(batch.num_rows() - start)));
        }
        let table = MemTable::try_new(schema, partitions)?;
        let mut builder = LogicalPlanBuilder::scan("facts", provider_as_source(Arc::new(table)), None)?;
        if let Some(p) = &plan.filter {
            builder = builder.filter(p.clone())?;
        }
        if let Some(s) = &plan.subjects {
            let batch = s.batch(plan.facts)?;
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            let subjects = LogicalPlanBuilder::scan("subjects", provider_as_source(Arc::new(table)), None)?.build()?;
            builder = builder.join(subjects, JoinType::Inner, (vec![s.on.0.as_str()], vec![s.on.1.as_str()]), None)?;
        }
        let logical = builder.aggregate(plan.groups.clone(), plan.aggregates.clone())?.build()?;
        self.runtime.block_on(async { self.ctx.execute_logical_plan(logical).await?.collect().await })
    }
}

/// What a lowered expression gives, as DataFusion holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A number: `Decimal128`, or a whole number.
    Num,
    /// Days since 1970-01-01.
    Day,
    /// Seconds since 1970-01-01T00:00, civil time.
    Moment,
    Bool,
    /// An index standing for a text, a reference, an enum variant or a party: only grouped by.
    Id,
}

/// A group's rows, and its values (see [`Grouped`]).
type Group = (Arc<[u32]>, Vec<Option<Value>>);

/// A path of fields read from the source record: its own field, then through references.
pub(super) type Path = Vec<(RecordId, u32)>;

/// One value of the derived kind as the plan computes it.
pub(super) struct Computed {
    pub(super) func: AggFunc,
    rank: Option<Decimal>,
    /// What the aggregate's value is: a number, or the earliest or latest day (`Kind::Day`) or
    /// moment (`Kind::Moment`) of its records, which the plan gives as writ holds them.
    value: Kind,
    /// Whether the plan also counts the group's records with no date (`u{j}`): the value of an
    /// aggregate `during` a period is unknown where one is, as writ cannot place it.
    pub(super) undated: bool,
}

/// Why derived kind `d` cannot be lowered over writ's columns as of `as_of`, if it cannot: the
/// checks of what writ read (unreadable values, group fields missing in some records) that any
/// engine reading the same records must pass.
pub(super) fn lowers(model: &Model, facts: &Facts, d: &DerivedDef, as_of: Date) -> Result<(), String> {
    Plan::lower(model, facts, d, as_of).map(|_| ())
}

/// A derived kind lowered: the columns it reads, its filter, groups and aggregates.
struct Plan<'a> {
    facts: &'a Facts,
    from: RecordId,
    columns: Vec<Path>,
    filter: Option<Expr>,
    groups: Vec<Expr>,
    aggregates: Vec<Expr>,
    /// Per value of the kind: how the plan computes it, or `None` when writ does.
    values: Vec<Option<Computed>>,
    /// For an aggregate whose filter reads its subject's own fields: the subjects' records the
    /// aggregated ones are joined with, on the key, and grouped by (see [`Subjects`]).
    subjects: Option<Subjects>,
}

/// The records of the subjects' kind, for a clause's aggregate whose filter reads each
/// subject's own fields (`企業 == x.企業 and 日期 >= x.列入日`): each row's number (`s_row`) and
/// the fields read (`o{i}`, [`Outer`]), joined with the aggregated records on the key (`on`:
/// the aggregated records' key column, the subjects'), and grouped by subject.
struct Subjects {
    kind: RecordId,
    columns: Vec<Path>,
    on: (String, String),
}

impl Subjects {
    fn batch(&self, facts: &Facts) -> datafusion::error::Result<RecordBatch> {
        let rows = facts.tables[self.kind.index()].origins.len();
        let mut fields = vec![Field::new("s_row", DataType::UInt32, false)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(UInt32Array::from_iter_values(0..rows as u32))];
        for (i, path) in self.columns.iter().enumerate() {
            let array = export(facts, path, rows);
            fields.push(Field::new(format!("o{i}"), array.data_type().clone(), true));
            arrays.push(array);
        }
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
    }
}

impl<'a> Plan<'a> {
    fn lower(model: &'a Model, facts: &'a Facts, d: &DerivedDef, as_of: Date) -> Result<Plan<'a>, String> {
        Plan::lower_counting(model, facts, d, as_of, false, None, None)
    }

    /// [`Plan::lower`], per subject when `per_subject` (see [`Lower::per_subject`]), and
    /// counting records during `period` where it is during a period computed as writ evaluates
    /// (see [`Lower::period`]), and joined with the subjects' records where `subject` is
    /// given: the slot, kind and key field of a subject whose own fields the filter reads
    /// ([`subject_read`], [`Subjects`]).
    fn lower_counting(
        model: &'a Model,
        facts: &'a Facts,
        d: &DerivedDef,
        as_of: Date,
        per_subject: bool,
        period: Option<&[(Date, Date)]>,
        subject: Option<(u32, RecordId, u32)>,
    ) -> Result<Plan<'a>, String> {
        let source = Source::Held { facts, columns: Vec::new() };
        let outer = subject.map(|(slot, kind, _)| Outer { slot, kind, columns: Vec::new() });
        let mut low = Lower { model, from: d.from, source, per_subject, period: period.map(<[_]>::to_vec), outer };
        let whole = super::expr::whole_table(model, facts, d.from);
        let mut shape = low.shape(d, Some(as_of), whole)?;
        let mut aggregates = vec![min(col("row_")).alias("first_"), array_agg(col("row_")).alias("rows_")];
        let mut subjects = None;
        if let Some((_, kind, field)) = subject {
            // The aggregated records' key and the subjects', both indexes of one kind's rows,
            // one enum's variants or the parties, so that equal indexes are equal keys.
            let (ours, theirs) = (&d.groups[0], (kind, field));
            let ours = low.path(ours, d.slot).ok_or("its key is not a field of its records")?;
            let same = |(k, f): (RecordId, u32)| {
                let decl = &model.records[k.index()].fields[f as usize];
                let indexed = matches!(facts.tables[k.index()].columns[f as usize].typed(), Typed::Index(_));
                indexed.then_some(&decl.ty)
            };
            let (Some(a), Some(b)) = (same(*ours.last().expect("a path of one field at least")), same(theirs)) else {
                return Err("its subject is found by a text or a number, not a record, enum value or party".into());
            };
            if a != b || ours.len() != 1 {
                return Err("its subject is found by a key of another type, or through references".into());
            }
            let (x, ..) = low.column(ours, Need::Key)?;
            let (y, ..) = low.outer_column(vec![theirs])?;
            let name = |e: &Expr| match e {
                Expr::Column(c) => Ok(c.name.clone()),
                _ => Err("a key that is not a column".to_string()),
            };
            let on = (name(&x)?, name(&y)?);
            let Some(outer) = low.outer.take() else { unreachable!("the subjects' fields are kept") };
            subjects = Some(Subjects { kind, columns: outer.columns, on });
            shape.groups = vec![col("s_row")];
            aggregates = vec![min(col("row_")).alias("first_")];
        }
        let mut values = Vec::new();
        for lowered in shape.values {
            values.push(lowered.map(|(v, exprs)| {
                aggregates.extend(exprs);
                v
            }));
        }
        let (filter, groups) = (shape.filter, shape.groups);
        let Source::Held { columns, .. } = low.source else { unreachable!("lowered over held columns") };
        Ok(Plan { facts, from: d.from, columns, filter, groups, aggregates, values, subjects })
    }

    /// The source kind's columns the plan reads, and each row's number (`row_`).
    fn batch(&self) -> datafusion::error::Result<RecordBatch> {
        let table = &self.facts.tables[self.from.index()];
        let rows = table.origins.len();
        let mut fields = vec![Field::new("row_", DataType::UInt32, false)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(UInt32Array::from_iter_values(0..rows as u32))];
        for (i, path) in self.columns.iter().enumerate() {
            let array = export(self.facts, path, rows);
            fields.push(Field::new(format!("c{i}"), array.data_type().clone(), true));
            arrays.push(array);
        }
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
    }

    /// The groups the plan found, in writ's order.
    fn read(&self, batches: &[RecordBatch]) -> Result<Grouped, String> {
        // Per group: its first row, its rows, its values.
        let mut found: Vec<(u32, Group)> = Vec::new();
        let missing = |name: &str| format!("DataFusion's result has no column `{name}`");
        for b in batches {
            let first = b.column_by_name("first_").ok_or_else(|| missing("first_"))?;
            let first = first.as_primitive_opt::<UInt32Type>().ok_or("DataFusion gave first rows of another type")?;
            let lists = b.column_by_name("rows_").ok_or_else(|| missing("rows_"))?;
            let lists = lists.as_list_opt::<i32>().ok_or("DataFusion gave rows of another type")?;
            for r in 0..b.num_rows() {
                // A plan with no group fields gives one result over no rows.
                if first.is_null(r) {
                    continue;
                }
                let list = lists.value(r);
                let list = list.as_primitive_opt::<UInt32Type>().ok_or("DataFusion gave rows of another type")?;
                let mut rows: Vec<u32> = list.values().to_vec();
                rows.sort_unstable();
                let mut values = Vec::with_capacity(self.values.len());
                for (j, v) in self.values.iter().enumerate() {
                    values.push(match v {
                        None => None,
                        Some(v) => value(b, j, r, v)?,
                    });
                }
                found.push((first.value(r), (rows.into(), values)));
            }
        }
        found.sort_unstable_by_key(|f| f.0);
        let mut grouped = Grouped { rows: Vec::with_capacity(found.len()), values: Vec::with_capacity(found.len()) };
        for (_, (rows, values)) in found {
            grouped.rows.push(rows);
            grouped.values.push(values);
        }
        Ok(grouped)
    }
}

/// Value `j` of result row `r`, as writ computes it: `None` when writ must (no record read, a
/// record without the value).
fn value(b: &RecordBatch, j: usize, r: usize, v: &Computed) -> Result<Option<Value>, String> {
    let int = |name: String| -> Result<i64, String> {
        let c = b.column_by_name(&name).ok_or_else(|| format!("DataFusion's result has no column `{name}`"))?;
        let c = c.as_primitive_opt::<Int64Type>().ok_or("DataFusion gave a count of another type")?;
        Ok(c.value(r))
    };
    // A record with no date in the group: writ says why the value is unknown.
    if v.undated && int(format!("u{j}"))? > 0 {
        return Ok(None);
    }
    let n = int(format!("n{j}"))?;
    if v.func == AggFunc::Count {
        return Ok(Some(Value::Num(Decimal::from(n))));
    }
    // Mirrors `Ev::simple_aggregate`: no record read is writ's to say, and so is a record
    // without the value.
    if n == 0 || int(format!("v{j}"))? != n {
        return Ok(None);
    }
    let s = b.column_by_name(&format!("s{j}")).ok_or("DataFusion's result has no aggregate column")?;
    // The earliest or latest date or moment, as writ holds them: days and seconds since
    // 1970-01-01 (see `export`), which the plan only compares.
    match v.value {
        Kind::Day => {
            let days = s.as_primitive_opt::<Int32Type>().ok_or("DataFusion gave days of another type")?;
            return Ok((!days.is_null(r)).then(|| Value::Date(Date(days.value(r)))));
        }
        Kind::Moment => {
            let seconds = s.as_primitive_opt::<Int64Type>().ok_or("DataFusion gave moments of another type")?;
            return Ok((!seconds.is_null(r)).then(|| Value::DateTime(DateTime(seconds.value(r)))));
        }
        Kind::Num | Kind::Bool | Kind::Id => {}
    }
    let number = |m: i128, scale: u32| Decimal::try_from_i128_with_scale(m, scale).ok();
    Ok(match v.func {
        AggFunc::Percentile => {
            let list = s.as_list_opt::<i32>().ok_or("DataFusion gave a list of another type")?.value(r);
            let (list, scale) = decimals(&list)?;
            let mut ranked: Vec<Decimal> = Vec::with_capacity(list.len());
            for m in list.values() {
                match number(*m, scale) {
                    Some(x) => ranked.push(x.normalize()),
                    None => return Ok(None),
                }
            }
            v.rank.and_then(|rank| crate::stats::percentile_of(&mut ranked, rank)).map(Value::Num)
        }
        _ => {
            let (s, scale) = decimals(s)?;
            let Some(x) = number(s.value(r), scale) else { return Ok(None) };
            match v.func {
                AggFunc::Min | AggFunc::Max => Some(Value::Num(x.normalize())),
                AggFunc::Sum => Some(Value::Num(x)),
                AggFunc::Mean => x.checked_div(Decimal::from(n)).map(Value::Num),
                AggFunc::Count | AggFunc::Share | AggFunc::Percentile => None,
            }
        }
    })
}

/// A `Decimal128` column and its scale.
fn decimals(a: &ArrayRef) -> Result<(&Decimal128Array, u32), String> {
    match a.data_type() {
        DataType::Decimal128(_, s) if *s >= 0 => Ok((a.as_primitive::<Decimal128Type>(), *s as u32)),
        other => Err(format!("DataFusion gave numbers of type {other}, not decimals")),
    }
}

/// What a column read must have to be lowered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Values that are readable where they are there.
    Readable,
    /// Nothing: a row's date, read as writ reads it (one that cannot be read is no date).
    Any,
    /// A subject's key, per subject: readable values, and where an optional reference on the
    /// way to it has none, no value (the record is in no subject's group, as writ's index of
    /// the subjects' records holds it in none).
    Key,
}

/// The unit a number is held in where the plan reads it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Scale {
    /// As writ holds it: a quantity in SI, a percentage as a fraction, a plain number.
    Held,
    /// A percentage in percent, as `writ facts convert` writes it.
    Percent,
    /// A quantity in a unit, as `writ facts convert` writes it.
    Unit(crate::units::Unit),
}

impl Scale {
    /// A constant held as writ holds it, in this scale: `None` when it is not exact there.
    fn of(&self, n: Decimal) -> Option<Decimal> {
        match self {
            Scale::Held => Some(n),
            Scale::Percent => n.checked_mul(Decimal::ONE_HUNDRED),
            Scale::Unit(u) => u.from_si(n).filter(|m| u.to_si(*m) == Some(n)),
        }
    }
}

/// Per field of a derived kind the queries give as a table: its column's kind and scale, or
/// why it cannot be read as writ reads it.
pub(super) type Given = std::collections::HashMap<RecordId, Vec<Result<(Kind, Scale), String>>>;

/// Where the plan's columns come from.
pub(super) enum Source<'a> {
    /// writ's checked columns (`--engine datafusion`): `c{i}` per path read, in `columns`.
    Held { facts: &'a Facts, columns: Vec<Path> },
    /// Tables as `writ facts convert` writes them (`writ sql`): one per kind, named by it, a
    /// column per field, named by it; a derived kind's table is its query's (`given`). A field
    /// read through a reference joins the table referred to, on its key, as `r{i}`; `joins`
    /// holds per join the reference's column and the kind joined.
    Declared { given: &'a Given, joins: Vec<(Path, datafusion::common::Column, RecordId)> },
}

pub(super) struct Lower<'a> {
    pub(super) model: &'a Model,
    pub(super) from: RecordId,
    pub(super) source: Source<'a>,
    /// Whether the plan computes a clause's aggregate per subject (over writ's columns only):
    /// each aggregate also lists the rows it counts (`k{j}`), for the verdict to cite them, and
    /// a record whose subject is absent (an optional field, or an optional reference on the way
    /// to it) is in no subject's group, as writ's index holds none (see [`Need::Key`]).
    pub(super) per_subject: bool,
    /// The days of the period computed as writ evaluates (`during m` inside `every`) that an
    /// aggregate counts records in, where writ gives one occurrence's; without them such an
    /// aggregate is not lowered.
    pub(super) period: Option<Vec<(Date, Date)>>,
    /// The subject whose own fields a clause's aggregate reads in its filter, and the fields
    /// read (see [`Subjects`]); `None` for any other plan, which reads its records alone.
    pub(super) outer: Option<Outer>,
}

/// A record besides the aggregated one that a filter reads a field of: the subject bound to
/// `slot`, of kind `kind`, and the fields of it read, in the order of their columns (`o{i}`).
pub(super) struct Outer {
    slot: u32,
    kind: RecordId,
    columns: Vec<Path>,
}

/// What a derived kind's grouping is lowered to: the rows kept, the group fields (`g{i}`), and
/// per value the aggregates that compute it (`n{j}`, `v{j}`, `s{j}`), or `None` when writ does.
pub(super) struct Shape {
    pub(super) filter: Option<Expr>,
    pub(super) groups: Vec<Expr>,
    pub(super) values: Vec<Option<(Computed, Vec<Expr>)>>,
}

impl<'a> Lower<'a> {
    /// A lowering of records of `from` over tables as `writ facts convert` writes them
    /// ([`Source::Declared`]), as `writ sql` reads them: no rows counted, no subject read.
    pub(super) fn declared(model: &'a Model, from: RecordId, given: &'a Given) -> Lower<'a> {
        let source = Source::Declared { given, joins: Vec::new() };
        Lower { model, from, source, per_subject: false, period: None, outer: None }
    }

    fn name(&self, kind: RecordId, field: u32) -> String {
        let rec = &self.model.records[kind.index()];
        format!("{}.{}", rec.name, rec.fields[field as usize].name)
    }

    fn held(&self) -> bool {
        matches!(self.source, Source::Held { .. })
    }

    /// Derived kind `d` lowered: its rows known by `as_of` (all of them when `None`), its
    /// `where`, its groups, and the values computed as writ computes them. `whole`: whether
    /// aggregates may be taken over the group's rows as they are (see `expr::whole_table`).
    pub(super) fn shape(&mut self, d: &DerivedDef, as_of: Option<Date>, whole: bool) -> Result<Shape, String> {
        if d.window.is_some() {
            return Err("its records are grouped in windows, which writ computes itself".into());
        }
        let mut filters = Vec::new();
        if let (Some(f), Some(as_of)) = (self.model.records[d.from.index()].dated, as_of) {
            // Known by the date: dated on or before it, or with no date read.
            let (c, kind, _) = self.column(vec![(d.from, f as u32)], Need::Any)?;
            let day = match kind {
                Kind::Day => c.clone(),
                Kind::Moment => self.day_of(c.clone()),
                _ => return Err("its source records are dated by a field that is not a date".into()),
            };
            filters.push(c.is_null().or(day.lt_eq(self.day(as_of))));
        }
        if let Some(f) = &d.filter {
            filters.push(self.boolean(f, d.slot)?);
        }
        let filter = filters.into_iter().reduce(Expr::and);
        let mut groups = Vec::new();
        for (i, g) in d.groups.iter().enumerate() {
            let lowered = match self.path(g, d.slot) {
                Some(path) if self.per_subject => self.column(path, Need::Key)?,
                _ => self.expr(g, d.slot)?,
            };
            match lowered {
                (g, _, false) => groups.push(g.alias(format!("g{i}"))),
                // Per subject, a record with no key is in no subject's group: its group is
                // passed over.
                (g, _, true) if self.per_subject => groups.push(g.alias(format!("g{i}"))),
                // A record with no value there is in no group: writ says why.
                (_, _, true) => return Err("a field it groups by has no value in some records".into()),
            }
        }
        let mut values = Vec::new();
        for (j, dv) in d.values.iter().enumerate() {
            values.push(if whole { self.aggregate(&dv.value, j)? } else { None });
        }
        Ok(Shape { filter, groups, values })
    }

    /// The column `path` reads, registered, what it holds, and whether some row has no value.
    fn column(&mut self, path: Path, need: Need) -> Result<(Expr, Kind, bool), String> {
        for (i, &(kind, _)) in path.iter().enumerate() {
            if i > 0 && self.model.records[kind.index()].dated.is_some() {
                let (kind, field) = path[i];
                return Err(format!(
                    "it reads {} through a reference to records that are dated",
                    self.name(kind, field)
                ));
            }
        }
        let (model, from) = (self.model, self.from);
        match &mut self.source {
            Source::Held { facts, columns } => held_column(model, facts, columns, path, need),
            Source::Declared { given, joins } => declared_column(model, from, given, joins, path),
        }
    }

    /// The column of the subject's field `path` ([`Outer`]), registered, what it holds, and
    /// whether some row has no value.
    fn outer_column(&mut self, path: Path) -> Result<(Expr, Kind, bool), String> {
        let (model, Some(outer)) = (self.model, &mut self.outer) else {
            return Err("it reads a record other than the one grouped".into());
        };
        let Source::Held { facts, .. } = &self.source else {
            return Err("it reads its subject's fields, which the queries do not".into());
        };
        let (_, kind, nullable) = held_column(model, facts, &mut outer.columns, path.clone(), Need::Readable)?;
        let at = outer.columns.iter().position(|p| *p == path).expect("the column was registered");
        Ok((col(format!("o{at}")), kind, nullable))
    }

    /// The unit a number `e` gives is held in: `None` for a constant, which takes the unit of
    /// what it is compared with.
    pub(super) fn scale(&self, e: &TExpr, slot: u32) -> Option<Scale> {
        let Source::Declared { given, .. } = &self.source else { return Some(Scale::Held) };
        match &e.kind {
            TKind::Const(_) => None,
            TKind::Field(..) => {
                let &(kind, field) = self.path(e, slot)?.last()?;
                if let Some(fields) = given.get(&kind) {
                    return fields.get(field as usize)?.as_ref().ok().map(|(_, s)| s.clone());
                }
                let decl = &self.model.records[kind.index()].fields[field as usize];
                Some(match (&decl.ty, &decl.unit) {
                    (Ty::Percent, _) => Scale::Percent,
                    (Ty::Quantity(_), Some(u)) => Scale::Unit(u.clone()),
                    _ => Scale::Held,
                })
            }
            _ => Some(Scale::Held),
        }
    }

    /// The fields `e` reads from the record bound to `slot`, through references.
    fn path(&self, e: &TExpr, slot: u32) -> Option<Path> {
        match &e.kind {
            TKind::Field(b, k, f) => match &b.kind {
                TKind::Local(s) if *s == slot && *k == self.from => Some(vec![(*k, *f)]),
                TKind::Field(..) => {
                    let mut p = self.path(b, slot)?;
                    p.push((*k, *f));
                    Some(p)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A condition lowered: a row where it reads no value (null) is not kept, as writ keeps
    /// no record whose condition reads an optional field with no value.
    fn boolean(&mut self, e: &TExpr, slot: u32) -> Result<Expr, String> {
        match self.expr(e, slot)? {
            (x, Kind::Bool, _) => Ok(x),
            _ => Err("a condition that is not yes or no".into()),
        }
    }

    /// `e` lowered, reading the record bound to `slot`, with what it gives and whether it may
    /// be null. Null is writ's value that is not there, and goes as it goes: a comparison with
    /// it is null, `and` and `or` settle on a side that decides (Kleene's logic, as SQL's), and
    /// a filter drops the row. Only `not` differs (writ makes it unknown), so `not` takes no
    /// null.
    pub(super) fn expr(&mut self, e: &TExpr, slot: u32) -> Result<(Expr, Kind, bool), String> {
        self.expr_in(e, slot, &Scale::Held)
    }

    /// [`Lower::expr`], a number constant written in `scale`.
    fn expr_in(&mut self, e: &TExpr, slot: u32, scale: &Scale) -> Result<(Expr, Kind, bool), String> {
        match &e.kind {
            TKind::Const(v) => self.constant(v, scale).map(|(x, k)| (x, k, false)),
            TKind::Field(b, k, f) => match self.path(e, slot) {
                Some(p) => self.column(p, Need::Readable),
                None => match (&b.kind, &self.outer) {
                    (TKind::Local(s), Some(o)) if *s == o.slot && *k == o.kind => self.outer_column(vec![(*k, *f)]),
                    _ => Err("it reads a record other than the one grouped".into()),
                },
            },
            TKind::Exists(x) => match self.path(x, slot) {
                Some(p) => Ok((self.column(p, Need::Readable)?.0.is_not_null(), Kind::Bool, false)),
                None => Err("`exists` of something other than a field".into()),
            },
            TKind::Interval(op @ (IntervalOp::DateOf | IntervalOp::Hour), x, None) => match self.expr(x, slot)? {
                (t, Kind::Moment, null) if *op == IntervalOp::DateOf => Ok((self.day_of(t), Kind::Day, null)),
                (t, Kind::Moment, null) => Ok((self.hour_of(t), Kind::Num, null)),
                _ => Err("`date` or `hour` of something other than a moment".into()),
            },
            TKind::Interval(op @ (IntervalOp::Year | IntervalOp::Month), x, None) => {
                let (day, null) = match self.expr(x, slot)? {
                    (d, Kind::Day, null) => (d, null),
                    (t, Kind::Moment, null) => (self.day_of(t), null),
                    _ => return Err("`year` or `month` of something other than a date or moment".into()),
                };
                let part = if *op == IntervalOp::Year { "year" } else { "month" };
                let date = if self.held() { cast(cast(day, DataType::Int32), DataType::Date32) } else { day };
                Ok((date_part(lit(part), date), Kind::Num, null))
            }
            TKind::Unary(UnOp::Not, x) => match self.expr(x, slot)? {
                (x, Kind::Bool, false) => Ok((not(x), Kind::Bool, false)),
                (_, Kind::Bool, true) => {
                    Err("`not` of a condition on an optional field, which writ reads otherwise".into())
                }
                _ => Err("a condition that is not yes or no".into()),
            },
            TKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let ((a, ka, na), (b, kb, nb)) = (self.expr(a, slot)?, self.expr(b, slot)?);
                if ka != Kind::Bool || kb != Kind::Bool {
                    return Err("a condition that is not yes or no".into());
                }
                Ok((if *op == BinOp::And { a.and(b) } else { a.or(b) }, Kind::Bool, na || nb))
            }
            TKind::Binary(op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b) => {
                if matches!(op, BinOp::Eq | BinOp::Ne)
                    && let Some(indexed) = self.indexed(a, b, slot)
                {
                    let (x, id, null) = indexed?;
                    let op = if *op == BinOp::Eq { Operator::Eq } else { Operator::NotEq };
                    return Ok((binary_expr(x, op, id), Kind::Bool, null));
                }
                // Both sides in one unit: a constant takes the other side's.
                let (sa, sb) = (self.scale(a, slot), self.scale(b, slot));
                if let (Some(sa), Some(sb)) = (&sa, &sb)
                    && sa != sb
                {
                    return Err(format!("a comparison `{}` of numbers held in different units", op.symbol()));
                }
                let (sa, sb) = (sa.clone().or(sb.clone()).unwrap_or(Scale::Held), sb.or(sa).unwrap_or(Scale::Held));
                let ((a, ka, na), (b, kb, nb)) = (self.expr_in(a, slot, &sa)?, self.expr_in(b, slot, &sb)?);
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                match (ka, kb) {
                    (Kind::Num, Kind::Num) | (Kind::Day, Kind::Day) | (Kind::Moment, Kind::Moment) => {}
                    (Kind::Bool, Kind::Bool) if !ordered => {}
                    _ => return Err(format!("a comparison `{}` of values DataFusion holds otherwise", op.symbol())),
                }
                let op = match op {
                    BinOp::Eq => Operator::Eq,
                    BinOp::Ne => Operator::NotEq,
                    BinOp::Lt => Operator::Lt,
                    BinOp::Le => Operator::LtEq,
                    BinOp::Gt => Operator::Gt,
                    _ => Operator::GtEq,
                };
                Ok((binary_expr(a, op, b), Kind::Bool, na || nb))
            }
            // A text, enum value or party among constants (`類型 in [超低排放改造, 燃煤鍋爐淘汰]`):
            // equal to one of them, or to none. An absent value matches neither way, as in writ
            // (`in` of an absent value is absent, which a filter does not take).
            TKind::Binary(op @ (BinOp::In | BinOp::NotIn), a, b) => {
                let items: Option<Vec<&Value>> = match &b.kind {
                    TKind::List(xs) => xs
                        .iter()
                        .map(|x| match &x.kind {
                            TKind::Const(v) => Some(v),
                            _ => None,
                        })
                        .collect(),
                    TKind::Const(Value::List(xs)) => Some(xs.iter().collect()),
                    _ => None,
                };
                let items = items.filter(|i| !i.is_empty()).ok_or("`in` a list that is not of constants")?;
                if !matches!(a.kind, TKind::Field(..)) {
                    return Err("`in` of something other than a field".into());
                }
                let (mut tests, mut null) = (Vec::new(), false);
                for v in items {
                    let (x, id, n) =
                        self.indexed_value(a, v, slot).ok_or("`in` a list of values DataFusion holds otherwise")??;
                    let test = if *op == BinOp::In { Operator::Eq } else { Operator::NotEq };
                    tests.push(binary_expr(x, test, id));
                    null |= n;
                }
                let joined = tests.into_iter().reduce(|x, y| if *op == BinOp::In { x.or(y) } else { x.and(y) });
                Ok((joined.ok_or("`in` an empty list")?, Kind::Bool, null))
            }
            other => Err(format!("{} is computed in writ only", shape(other))),
        }
    }

    /// A field held as indexes or texts (a text, an enum value, a party) compared with a
    /// constant, either way round: the column, the constant as the column holds it, and whether
    /// the column has rows with no value. Among writ's indexes, a text the column never holds is
    /// an index no row has. `None` for any other comparison.
    fn indexed(&mut self, a: &TExpr, b: &TExpr, slot: u32) -> Option<Result<(Expr, Expr, bool), String>> {
        match (&a.kind, &b.kind) {
            (TKind::Field(..), TKind::Const(v)) => self.indexed_value(a, v, slot),
            (TKind::Const(v), TKind::Field(..)) => self.indexed_value(b, v, slot),
            _ => None,
        }
    }

    /// [`Lower::indexed`] of field `field` and constant `value`.
    fn indexed_value(&mut self, field: &TExpr, value: &Value, slot: u32) -> Option<Result<(Expr, Expr, bool), String>> {
        let path = self.path(field, slot)?;
        let (kind, f) = *path.last()?;
        let constant = match &self.source {
            Source::Held { facts, .. } => {
                let column = &facts.tables[kind.index()].columns[f as usize];
                lit(match (value, column.typed()) {
                    (Value::Text(t), Typed::Text(_)) => {
                        let (_, strings) = column.text_ids()?;
                        strings.iter().position(|s| **s == **t).map_or(u32::MAX, |i| i as u32)
                    }
                    (Value::Enum(i), Typed::Index(_)) => *i,
                    (Value::Party(p), Typed::Index(_)) => p.0,
                    _ => return None,
                })
            }
            Source::Declared { .. } => {
                let decl = &self.model.records[kind.index()].fields[f as usize];
                lit(match (value, &decl.ty) {
                    (Value::Text(t), Ty::Text) => t.to_string(),
                    (Value::Enum(i), Ty::Enum(e)) => self.model.enums[e.index()].variants.get(*i as usize)?.clone(),
                    (Value::Party(i), Ty::Party) => self.model.parties.get(i.index())?.name.clone(),
                    _ => return None,
                })
            }
        };
        Some(self.column(path, Need::Readable).map(|(x, _, null)| (x, constant, null)))
    }

    /// Value `j` of the kind when it is an aggregate over the group that the plan computes as
    /// writ would: how, and its columns (`n{j}` records read, `v{j}` values there, `s{j}` the
    /// aggregate). `None` for any other value, left to writ.
    fn aggregate(&mut self, e: &TExpr, j: usize) -> Result<Option<(Computed, Vec<Expr>)>, String> {
        let TKind::Aggregate(a) = &e.kind else { return Ok(None) };
        if a.kind != self.from || !a.index.is_empty() {
            return Ok(None);
        }
        let (during, undated) = match &a.during {
            None => (None, None),
            Some(p) => match self.during(p, a.kind) {
                Ok((d, undated)) => (Some(d), undated),
                Err(_) => return Ok(None),
            },
        };
        // The group's records with no date, before any filter: writ reads the date first.
        let u = match undated {
            None => None,
            Some(day) => {
                let undated = when(day.is_null(), lit(1i64)).end().map_err(|e| e.to_string())?;
                Some(count(undated).alias(format!("u{j}")))
            }
        };
        // The filters writ reads the same way on every path: none, `exists(F)`, or a yes/no
        // field `F` with a value in every record.
        let simple = match &a.filter {
            None => true,
            Some(TExpr { kind: TKind::Exists(x), .. }) => self.path(x, a.slot).is_some_and(|p| p.len() == 1),
            Some(x) => x.ty == Ty::Bool && self.path(x, a.slot).is_some_and(|p| p.len() == 1),
        };
        let filter = match &a.filter {
            None => None,
            Some(f) => match self.boolean(f, a.slot) {
                Ok(f) => Some(f),
                Err(_) => return Ok(None),
            },
        };
        // A record is in the period when its date is: writ reads the date before the filter.
        let filter = match (during, filter) {
            (Some(d), Some(f)) => Some(d.and(f)),
            (d, f) => d.or(f),
        };
        // Over writ's columns the filter is the aggregate's own (`FILTER (WHERE …)`); in the
        // queries for a warehouse, the value is taken only where the filter holds (`CASE`),
        // which every dialect reads.
        let held = self.held();
        let filtered = |agg: fn(Expr) -> Expr, x: Expr| -> Result<Expr, String> {
            match (&filter, held) {
                (None, _) => Ok(agg(x)),
                (Some(f), true) => agg(x).filter(f.clone()).build().map_err(|e| e.to_string()),
                (Some(f), false) => Ok(agg(when(f.clone(), x).end().map_err(|e| e.to_string())?)),
            }
        };
        let n = filtered(count, lit(1i64))?.alias(format!("n{j}"));
        let computed = |rank, value| Computed { func: a.func, rank, value, undated: u.is_some() };
        // The rows counted, in the order of the kind's rows' numbers once sorted.
        let k = match self.per_subject && held {
            true => Some(filtered(array_agg, col("row_"))?.alias(format!("k{j}"))),
            false => None,
        };
        let extra: Vec<Expr> = u.clone().into_iter().chain(k).collect();
        if a.func == AggFunc::Count {
            return Ok(Some((computed(None, Kind::Num), [n].into_iter().chain(extra).collect())));
        }
        // The earliest or latest date or moment, under any filter lowered (see `extreme`).
        if a.value.as_ref().is_some_and(|v| matches!(v.ty, Ty::Date | Ty::DateTime)) {
            let Some((x, value)) = self.extreme(a) else { return Ok(None) };
            let v = filtered(count, x.clone())?.alias(format!("v{j}"));
            let s = if a.func == AggFunc::Min { filtered(min, x) } else { filtered(max, x) };
            let s = s?.alias(format!("s{j}"));
            return Ok(Some((computed(None, value), [n, v, s].into_iter().chain(extra).collect())));
        }
        if !simple
            || !matches!(a.func, AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max | AggFunc::Percentile)
        {
            return Ok(None);
        }
        let Some(path) = a.value.as_ref().and_then(|v| self.path(v, a.slot)).filter(|p| p.len() == 1) else {
            return Ok(None);
        };
        let (kind, field) = path[0];
        let exact = match &self.source {
            Source::Held { facts, .. } => {
                matches!(facts.tables[kind.index()].columns[field as usize].typed(), Typed::Fixed(..))
            }
            Source::Declared { .. } => true,
        };
        if !exact {
            return Ok(None);
        }
        let Ok((x, Kind::Num, _)) = self.column(path, Need::Readable) else { return Ok(None) };
        let v = filtered(count, x.clone())?.alias(format!("v{j}"));
        let s = match a.func {
            AggFunc::Sum | AggFunc::Mean => filtered(sum, x),
            AggFunc::Min => filtered(min, x),
            AggFunc::Max => filtered(max, x),
            _ => filtered(array_agg, x),
        };
        let s = s?.alias(format!("s{j}"));
        Ok(Some((computed(a.rank, Kind::Num), [n, v, s].into_iter().chain(extra).collect())))
    }

    /// The column of the dates or moments aggregate `a` takes the earliest (`min`) or latest
    /// (`max`) of, and what it holds (`Kind::Day`, `Kind::Moment`), when the plan computes
    /// that extreme as writ does; `None` for any other aggregate of a date, left to writ.
    ///
    /// writ takes the extreme of dates and moments in its general loop only (`Ev::aggregate`;
    /// `Ev::simple_aggregate` takes numbers), and a day or a second has no scale to keep, as a
    /// number's has: the extreme is writ's under any filter the plan lowers, as a count is.
    /// Where writ's value is not the extreme (no record counted: absent, as the event has not
    /// happened; a record without the value: unknown), [`value`] leaves it to writ, which says
    /// so.
    ///
    /// Not over tables (`writ sql`): the engines that read a view's values back
    /// (`files::read`, for records not kept and on a Ballista cluster) read numbers, and would
    /// take a date for one.
    fn extreme(&mut self, a: &Aggregate) -> Option<(Expr, Kind)> {
        if !self.held() || !matches!(a.func, AggFunc::Min | AggFunc::Max) {
            return None;
        }
        let path = a.value.as_ref().and_then(|v| self.path(v, a.slot)).filter(|p| p.len() == 1)?;
        match self.column(path, Need::Readable) {
            Ok((x, value @ (Kind::Day | Kind::Moment), _)) => Some((x, value)),
            _ => None,
        }
    }

    /// Whether a record of `kind` is dated in period `p`, as writ places it (`during`): one of
    /// the period's ranges holds its date, or its moment's day. Only a period known before
    /// evaluating (a named one, a year, the plan's), or one computed as writ evaluates whose
    /// occurrence writ gave ([`Lower::period`]). A record with no date (none given, or one
    /// that could not be read) makes writ's value unknown, which a filter cannot say: where
    /// some record may have none, the record's date is given too, for the plan to count the
    /// records without one. Tables of a database may hold a null anywhere, so over them it
    /// always is.
    fn during(&mut self, p: &TPeriod, kind: RecordId) -> Result<(Expr, Option<Expr>), String> {
        let ranges = match p {
            TPeriod::Named(i) => self.model.periods[*i as usize].ranges.clone(),
            TPeriod::Year(y) => match (Date::from_ymd(*y, 1, 1), Date::from_ymd(*y, 12, 31)) {
                (Some(a), Some(b)) => vec![(a, b)],
                _ => return Err(format!("{y} is not a year writ can place")),
            },
            TPeriod::Plan => match (self.model.plan.start, self.model.plan.end) {
                (Some(a), Some(b)) => vec![(a, b)],
                _ => return Err("the plan has no period".into()),
            },
            TPeriod::Dynamic(_) => match &self.period {
                Some(ranges) => ranges.clone(),
                None => return Err("a period computed while evaluating".into()),
            },
        };
        let Some(dated) = self.model.records[kind.index()].dated else {
            return Err("its records have no date".into());
        };
        let (c, kind, nullable) = self.column(vec![(kind, dated as u32)], Need::Any)?;
        let day = match kind {
            Kind::Day => c.clone(),
            Kind::Moment => self.day_of(c.clone()),
            _ => return Err("its records are dated by a field that is not a date".into()),
        };
        let within = ranges.iter().map(|&(a, b)| day.clone().gt_eq(self.day(a)).and(day.clone().lt_eq(self.day(b))));
        let within = within.reduce(Expr::or).ok_or_else(|| "a period of no days".to_string())?;
        Ok((within, (nullable || !self.held()).then_some(c)))
    }

    /// A constant as the plan holds it, a number in `scale`.
    fn constant(&self, v: &Value, scale: &Scale) -> Result<(Expr, Kind), String> {
        let epoch = if self.held() { 0 } else { epoch() };
        Ok(match v {
            Value::Num(n) => {
                let n = scale.of(*n).ok_or_else(|| format!("{n} is not exact in the unit it is compared in"))?;
                (lit(ScalarValue::Decimal128(Some(n.mantissa()), 38, n.scale() as i8)), Kind::Num)
            }
            Value::Date(d) if self.held() => (lit(d.0), Kind::Day),
            Value::Date(d) => (lit(ScalarValue::Date32(Some(d.0 - epoch))), Kind::Day),
            Value::DateTime(t) if self.held() => (lit(t.0), Kind::Moment),
            Value::DateTime(t) => {
                let ms = t.0.checked_mul(1000).ok_or("a moment too far from 1970")?;
                (lit(ScalarValue::TimestampMillisecond(Some(ms), None)), Kind::Moment)
            }
            Value::Bool(b) => (lit(*b), Kind::Bool),
            _ => return Err("a constant that is not a number, date, moment or yes/no".into()),
        })
    }

    /// Day `d` as the plan holds days.
    fn day(&self, d: Date) -> Expr {
        match self.held() {
            true => lit(d.0),
            false => lit(ScalarValue::Date32(Some(d.0 - epoch()))),
        }
    }

    /// The day a moment falls on.
    fn day_of(&self, t: Expr) -> Expr {
        match self.held() {
            true => day_of(t),
            false => cast(t, DataType::Date32),
        }
    }

    /// The hour of the day of a moment, from 0 to 23.
    fn hour_of(&self, t: Expr) -> Expr {
        match self.held() {
            true => seconds_of_day(t) / lit(3600i64),
            false => date_part(lit("hour"), t),
        }
    }
}

/// writ's day number of 1970-01-01, the day 0 of an Arrow date.
pub(super) fn epoch() -> i32 {
    Date::from_ymd(1970, 1, 1).map_or(0, |d| d.0)
}

/// [`Lower::column`] over writ's columns.
fn held_column(
    model: &Model,
    facts: &Facts,
    columns: &mut Vec<Path>,
    path: Path,
    need: Need,
) -> Result<(Expr, Kind, bool), String> {
    let name = |kind: RecordId, field: u32| {
        let rec = &model.records[kind.index()];
        format!("{}.{}", rec.name, rec.fields[field as usize].name)
    };
    for (i, &(kind, field)) in path.iter().enumerate() {
        let table = &facts.tables[kind.index()];
        let column = &table.columns[field as usize];
        let last = i + 1 == path.len();
        if need != Need::Any && table.bad_by_field.get(field as usize).is_some_and(|&n| n > 0) {
            return Err(format!("{} has values that cannot be read", name(kind, field)));
        }
        if !last && column.absent() > 0 && need != Need::Key {
            return Err(format!("{} has no value in some records", name(kind, field)));
        }
        if !last && !matches!(column.typed(), Typed::Index(_)) {
            return Err(format!("{} is read through, but is not a reference", name(kind, field)));
        }
    }
    let (kind, field) = *path.last().expect("a path of one field at least");
    let column = &facts.tables[kind.index()].columns[field as usize];
    let nullable = path.iter().any(|&(k, f)| facts.tables[k.index()].columns[f as usize].absent() > 0);
    let held = match column.typed() {
        Typed::Bool(_) => Kind::Bool,
        Typed::Date(_) => Kind::Day,
        Typed::Moment(_) => Kind::Moment,
        Typed::Index(_) | Typed::Text(_) => Kind::Id,
        Typed::Fixed(..) => Kind::Num,
        // Numbers held as general decimals (a quantity whose unit is no power of ten of its SI
        // unit, as 噸每月每平方公里 is): compared exactly at one scale; never summed, as writ's
        // sums of them round.
        Typed::Other
            if matches!(
                model.records[kind.index()].fields[field as usize].ty,
                Ty::Number | Ty::Quantity(_) | Ty::Percent
            ) && general_scale(column).is_some() =>
        {
            Kind::Num
        }
        Typed::Other => return Err(format!("{} holds values DataFusion is not given", name(kind, field))),
    };
    let at = match columns.iter().position(|p| *p == path) {
        Some(at) => at,
        None => {
            columns.push(path);
            columns.len() - 1
        }
    };
    Ok((col(format!("c{at}")), held, nullable))
}

/// [`Lower::column`] over tables as `writ facts convert` writes them.
fn declared_column(
    model: &Model,
    from: RecordId,
    given: &Given,
    joins: &mut Vec<(Path, datafusion::common::Column, RecordId)>,
    path: Path,
) -> Result<(Expr, Kind, bool), String> {
    use datafusion::common::Column;
    let name = |kind: RecordId, field: u32| {
        let rec = &model.records[kind.index()];
        format!("{}.{}", rec.name, rec.fields[field as usize].name)
    };
    let mut relation = model.records[from.index()].name.clone();
    let mut nullable = false;
    for (i, &(kind, field)) in path.iter().enumerate() {
        let rec = &model.records[kind.index()];
        let decl = &rec.fields[field as usize];
        let column = Column::new(Some(relation.as_str()), decl.name.as_str());
        nullable |= decl.optional;
        if let Some(fields) = given.get(&kind) {
            return match fields.get(field as usize) {
                Some(Ok((k, _))) if i + 1 == path.len() => Ok((Expr::Column(column), *k, nullable)),
                Some(Err(why)) => Err(format!("it reads {}, {why}", name(kind, field))),
                _ => Err(format!("it reads {} through a reference", name(kind, field))),
            };
        }
        if i + 1 == path.len() {
            return Ok((
                Expr::Column(column),
                declared_kind(&decl.ty).ok_or_else(|| {
                    format!("{} is a {} field, which the queries do not read", name(kind, field), ty_word(&decl.ty))
                })?,
                nullable,
            ));
        }
        let Ty::Ref(target) = decl.ty else {
            return Err(format!("{} is read through, but is not a reference", name(kind, field)));
        };
        let to = &model.records[target.index()];
        // The key of the record referred to is the reference itself.
        if i + 2 == path.len() && path[i + 1].1 as usize == to.key && !to.keyless {
            let key = &to.fields[to.key];
            return match declared_kind(&key.ty) {
                Some(k) => Ok((Expr::Column(column), k, nullable)),
                None => Err(format!("{} is keyed by a field the queries do not read", to.name)),
            };
        }
        let prefix = path[..=i].to_vec();
        let at = match joins.iter().position(|(p, ..)| *p == prefix) {
            Some(at) => at,
            None => {
                joins.push((prefix, column, target));
                joins.len() - 1
            }
        };
        relation = format!("r{at}");
    }
    unreachable!("a path of one field at least")
}

/// What a field of type `ty` is in a table as `writ facts convert` writes it.
pub(super) fn declared_kind(ty: &Ty) -> Option<Kind> {
    Some(match ty {
        Ty::Bool => Kind::Bool,
        Ty::Date => Kind::Day,
        Ty::DateTime => Kind::Moment,
        Ty::Number | Ty::Percent | Ty::Quantity(_) => Kind::Num,
        Ty::Text | Ty::Enum(_) | Ty::Party | Ty::Ref(_) => Kind::Id,
        _ => return None,
    })
}

/// A field's type, in a reason it is not lowered.
fn ty_word(ty: &Ty) -> &'static str {
    match ty {
        Ty::Duration => "duration",
        Ty::List(_) => "list",
        _ => "other",
    }
}

/// The seconds since midnight of a moment held as seconds.
fn seconds_of_day(t: Expr) -> Expr {
    (t % lit(86_400i64) + lit(86_400i64)) % lit(86_400i64)
}

/// The day a moment held as seconds falls on, as days since 1970-01-01.
fn day_of(t: Expr) -> Expr {
    (t.clone() - seconds_of_day(t)) / lit(86_400i64)
}

/// What an expression is, for the reason it is not lowered.
fn shape(kind: &TKind) -> &'static str {
    match kind {
        TKind::Binary(..) | TKind::Unary(..) => "arithmetic",
        TKind::Interval(..) | TKind::DateShift(..) => "date arithmetic",
        TKind::Rule(..) => "a rule",
        TKind::Table(..) => "a table lookup",
        TKind::Aggregate(..) => "an aggregate",
        TKind::If(..) | TKind::Match(..) => "a choice (`if`, `match`)",
        TKind::List(..) => "a list",
        TKind::Change(..) | TKind::Round(..) => "a function",
        TKind::Local(..) => "a name bound outside the record",
        TKind::ClauseStatus { .. } => "a clause's status",
        TKind::Today => "`today()`",
        TKind::Const(..) | TKind::Field(..) | TKind::Exists(..) => "a value",
    }
}

/// The values of `path` for every source row, as the plan reads them: null where absent.
fn export(facts: &Facts, path: &Path, rows: usize) -> ArrayRef {
    // The row each source row reaches at the end of the path, or `NONE` past a reference with
    // no value.
    const NONE: u32 = u32::MAX;
    let mut at: Vec<u32> = (0..rows as u32).collect();
    for &(kind, field) in &path[..path.len() - 1] {
        let column = &facts.tables[kind.index()].columns[field as usize];
        if let Typed::Index(targets) = column.typed() {
            for r in &mut at {
                if *r != NONE {
                    *r = if column.is_present(*r as usize) { targets[*r as usize] } else { NONE };
                }
            }
        }
    }
    let (kind, field) = *path.last().expect("a path of one field at least");
    let column = &facts.tables[kind.index()].columns[field as usize];
    let present = |r: u32| r != NONE && column.is_present(r as usize);
    match column.typed() {
        Typed::Bool(bits) => {
            Arc::new(at.iter().map(|&r| present(r).then(|| bits.get(r as usize))).collect::<BooleanArray>())
        }
        Typed::Date(days) => Arc::new(at.iter().map(|&r| present(r).then(|| days[r as usize])).collect::<Int32Array>()),
        Typed::Moment(t) => Arc::new(at.iter().map(|&r| present(r).then(|| t[r as usize])).collect::<Int64Array>()),
        Typed::Index(ids) | Typed::Text(ids) => {
            Arc::new(at.iter().map(|&r| present(r).then(|| ids[r as usize])).collect::<UInt32Array>())
        }
        Typed::Fixed(scale, m) => Arc::new(
            (at.iter().map(|&r| present(r).then(|| i128::from(m[r as usize]))).collect::<Decimal128Array>())
                .with_precision_and_scale(38, scale as i8)
                .expect("a scale writ holds fits a decimal of 38 digits"),
        ),
        Typed::Other => match general_scale(column) {
            Some(scale) => Arc::new(
                (at.iter()
                    .map(|&r| match present(r).then(|| column.get(r as usize)).flatten() {
                        Some(Value::Num(d)) => rescaled(d, scale),
                        _ => None,
                    })
                    .collect::<Decimal128Array>())
                .with_precision_and_scale(38, scale as i8)
                .expect("a scale of a decimal fits a decimal of 38 digits"),
            ),
            None => Arc::new(UInt32Array::new_null(rows)),
        },
    }
}

/// The scale a column of numbers held as general decimals ([`Typed::Other`]) is given to
/// DataFusion at: the largest of its values', when every value there is a number whose
/// mantissa at that scale has at most 38 digits; `None` otherwise.
fn general_scale(column: &crate::facts::Column) -> Option<u32> {
    let mut scale = 0;
    for v in column.iter().flatten() {
        match v {
            Value::Num(d) => scale = scale.max(d.scale()),
            _ => return None,
        }
    }
    for v in column.iter().flatten() {
        let Value::Num(d) = v else { return None };
        rescaled(d, scale)?;
    }
    Some(scale)
}

/// The mantissa of `d` at `scale` (no less than its own), when it has at most 38 digits.
fn rescaled(d: Decimal, scale: u32) -> Option<i128> {
    let m = d.mantissa().checked_mul(10i128.checked_pow(scale.checked_sub(d.scale())?)?)?;
    (m.unsigned_abs() < 10u128.pow(38)).then_some(m)
}

/// Per aggregate (its place in the model) and date: what DataFusion computed, `None` where
/// writ computes it.
type Found = std::collections::HashMap<(usize, Date, Option<Vec<(Date, Date)>>), Option<Arc<super::BySubject>>>;

/// The aggregates of clauses per subject on a DataFusion session (`--engine datafusion`), each
/// computed once per date it is asked for and kept (see [`super::PerSubject`]).
pub(super) struct ClauseAggregates {
    session: Session,
    found: std::sync::Mutex<Found>,
    /// Per aggregate, as written: whether DataFusion computed it, or why writ did.
    said: std::sync::Mutex<indexmap::IndexMap<String, Result<(), String>>>,
}

impl ClauseAggregates {
    pub fn new(threads: usize, memory_limit: Option<u64>) -> Result<ClauseAggregates, String> {
        Ok(ClauseAggregates {
            session: Session::new(threads, memory_limit)?,
            found: Default::default(),
            said: Default::default(),
        })
    }

    /// Why aggregate `a` is writ's to compute, when what it is says so before any record.
    fn declined(a: &Aggregate) -> Option<&'static str> {
        if a.index.len() != 1 {
            return Some("it is not taken per subject (one `FIELD == subject` in its filter)");
        }
        let Some(f) = &a.filter else { return None };
        // Reading a record's field marks the record read, and its report counts the records
        // read: the filter must read each record's own fields, the first thing it reads.
        if reads_through(f) {
            return Some("its filter reads fields through references");
        }
        if !reads_first(f, a.slot) {
            return Some("its filter does not read each record first");
        }
        None
    }
}

impl super::PerSubject for ClauseAggregates {
    fn by_subject(
        &self,
        model: &Model,
        facts: &Facts,
        e: &TExpr,
        a: &Aggregate,
        horizon: Date,
        period: Option<&[(Date, Date)]>,
    ) -> Option<Arc<super::BySubject>> {
        let at = (std::ptr::from_ref(a) as usize, horizon, period.map(<[_]>::to_vec));
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = found.get(&at) {
            return known.clone();
        }
        let result = match ClauseAggregates::declined(a) {
            Some(why) => Err(why.to_string()),
            // Where the engine fails (out of memory), writ computes the aggregate, and says so.
            None => self.session.by_subject(model, facts, e, a, &a.index[0].0, (horizon, period)).and_then(|r| r),
        };
        let mut said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        let entry = said.entry(a.text.clone()).or_insert(Ok(()));
        let kept = match result {
            Ok(by) => Some(Arc::new(by)),
            Err(why) => {
                *entry = Err(why);
                None
            }
        };
        found.insert(at, kept.clone());
        kept
    }

    fn notes(&self) -> Vec<String> {
        let said = self.said.lock().unwrap_or_else(|p| p.into_inner());
        let taken = said.values().filter(|r| r.is_ok()).count();
        let mut notes = Vec::new();
        if taken > 0 {
            notes.push(format!("{taken} aggregate(s) of clauses were computed per subject in DataFusion"));
        }
        for (text, r) in said.iter() {
            if let Err(why) = r {
                notes.push(format!("{text} was computed in writ, not in DataFusion: {why}"));
            }
        }
        notes
    }
}

/// Whether the filter of aggregate `a` reads its subject's own fields besides the key its index
/// looks up (`企業 == x.企業 and 日期 >= x.列入日`): the subject's slot, kind and key field, or why
/// such a filter is not lowered; `None` for a filter that reads only the aggregated records.
fn subject_read(a: &Aggregate) -> Option<Result<(u32, RecordId, u32), String>> {
    let mut others = Vec::new();
    crate::model::walk(a.filter.as_ref()?, &mut |x| {
        if let TKind::Local(s) = x.kind
            && s != a.slot
        {
            others.push(s);
        }
    });
    if others.is_empty() {
        return None;
    }
    let key = a.index.first().map(|(_, k)| &k.kind);
    Some(match key {
        Some(TKind::Field(b, kind, field)) => match b.kind {
            TKind::Local(slot) if others.iter().all(|&s| s == slot) => Ok((slot, *kind, *field)),
            _ => Err("its filter reads values other than its records' and its subject's".into()),
        },
        _ => Err("its filter reads its subject, whose key is not one of its fields".into()),
    })
}

/// Whether `e` reads a field through a reference (`x.站.縣`).
fn reads_through(e: &TExpr) -> bool {
    let mut through = false;
    crate::model::walk(e, &mut |x| {
        if let TKind::Field(b, ..) = &x.kind
            && matches!(b.kind, TKind::Field(..))
        {
            through = true;
        }
    });
    through
}

/// Whether evaluating `e` surely reads a field of the record bound to `slot` before anything
/// that may stop it.
fn reads_first(e: &TExpr, slot: u32) -> bool {
    match &e.kind {
        TKind::Field(b, ..) => matches!(b.kind, TKind::Local(s) if s == slot) || reads_first(b, slot),
        TKind::Binary(BinOp::And | BinOp::Or, l, _) => reads_first(l, slot),
        TKind::Binary(_, l, r) => reads_first(l, slot) || reads_first(r, slot),
        TKind::Unary(_, x) | TKind::Exists(x) | TKind::Interval(_, x, None) => reads_first(x, slot),
        _ => false,
    }
}
