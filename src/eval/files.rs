//! Derived kinds' values computed by an engine from the Parquet files their source records were
//! read from (`--features datafusion`): the table over those files, when an engine reads them
//! as writ read them, and the engine's results as writ holds values. For the Ballista cluster
//! ([`super::ballista`]), and for DataFusion in this process or on a cluster over a kind whose
//! records writ does not keep ([`crate::facts::Table::streamed`]).

use super::datafusion::{Kind, Scale};
use super::derive::ByKey;
use super::sql::Out;
use crate::facts::Facts;
use crate::model::*;
use crate::value::{Date, DateTime, Value};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Int64Type, TimeUnit};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::TableSource;
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

/// Per record kind that kinds are derived from, whether its records need not be kept on the
/// DataFusion and Ballista engines, and why they must be otherwise: `Ok` when nothing reads
/// them but the grouping of the kinds derived from it, and DataFusion computes every value of
/// those kinds that reads them from the files they were read from (counts, sums, extremes and
/// means), so that each record is only placed in its groups as it is read, a file at a time,
/// and let go ([`crate::facts::Table::streamed`]). Whether its files are Parquet files DataFusion reads as
/// writ does, and their records clean, is for the caller to see as it reads them
/// ([`clean_part`]).
pub fn unkept_kinds(model: &Model, as_of: Date) -> Vec<(RecordId, Result<(), String>)> {
    let mut out: Vec<(RecordId, Result<(), String>)> = Vec::new();
    for d in &model.derived {
        if out.iter().any(|(k, _)| *k == d.from) {
            continue;
        }
        out.push((d.from, unkept(model, d.from, as_of)));
    }
    out
}

/// Whether the Debug form of `item` names kind `kind`: a conservative test of whether it may
/// read records of that kind, since every place a kind appears in the checked model (a field
/// read, an aggregate, a scope, a reference type, a record value) holds its [`RecordId`].
fn mentions(item: &impl Debug, kind: RecordId) -> bool {
    format!("{item:?}").contains(&format!("{kind:?}"))
}

/// [`unkept_kinds`] for one kind.
fn unkept(model: &Model, kind: RecordId, as_of: Date) -> Result<(), String> {
    let rec = &model.records[kind.index()];
    if rec.derived {
        return Err("they are derived".into());
    }
    if !rec.keyless {
        return Err("they have keys, which must be kept to find each record by".into());
    }
    let read = |what: &str| Err(format!("{what} reads them"));
    if mentions(&model.clauses, kind) {
        return read("a clause");
    }
    if mentions(&model.rules, kind) {
        return read("a rule");
    }
    if mentions(&model.tables, kind) {
        return read("a table");
    }
    if model.records.iter().any(|r| r.fields.iter().any(|f| f.ty == Ty::Ref(kind))) {
        return read("a reference");
    }
    for d in &model.derived {
        if d.from != kind {
            if mentions(d, kind) {
                return read(&format!("derived kind {}", model.records[d.kind.index()].name));
            }
            continue;
        }
        let name = &model.records[d.kind.index()].name;
        if d.window.is_some() {
            return Err(format!("{name} groups them in windows, which writ computes itself"));
        }
        let tables = |k: RecordId| -> Result<Arc<dyn TableSource>, String> {
            Ok(Arc::new(datafusion::logical_expr::logical_plan::builder::LogicalTableSource::new(Arc::new(
                super::sql::declared_schema(model, k),
            ))))
        };
        let lowered = super::sql::plan(model, d, Some(as_of), &Default::default(), &tables)
            .map_err(|why| format!("DataFusion cannot compute {name} from them: {why}"))?;
        for (j, (dv, out)) in d.values.iter().zip(&lowered.values).enumerate() {
            let field = &model.records[d.kind.index()].fields[d.first_value() + j];
            if matches!(out, Out::InWrit) && mentions(&dv.value, kind) {
                return Err(format!("writ computes {name}.{} from them itself", field.name));
            }
            if dv.given.as_ref().is_some_and(|(cond, _)| mentions(cond, kind)) {
                return Err(format!("the condition {name}.{} is valid under reads them", field.name));
            }
        }
    }
    Ok(())
}

/// Computes the values of each kind derived from `kind` from the files its records were read
/// from, for the groups its records were placed in as they were read ([`Facts::placed`]), on
/// `engine`: DataFusion in this process, on `threads` threads, its plans holding at most
/// `--memory-limit` bytes (the kinds the plans join, such as those its records refer to, from
/// the records writ kept), or a Ballista cluster, whose executors read every table from the
/// Parquet files writ read. An error says why they cannot be, for the records of `kind` to be
/// kept instead.
pub fn compute_unkept(
    model: &Model,
    facts: &mut Facts,
    kind: RecordId,
    as_of: Date,
    threads: usize,
    engine: &super::Engine,
) -> Result<(), String> {
    let computer = Computer::new(engine, threads)?;
    for i in 0..facts.placed.len() {
        let placed = &facts.placed[i];
        let Some(d) = model.derived.iter().find(|d| d.kind == placed.kind && d.from == kind) else { continue };
        // A record that could not be placed makes every value unknown: nothing to compute.
        if placed.unplaced.is_some() {
            continue;
        }
        let name = &model.records[d.kind.index()].name;
        let by_key = computer
            .values(model, facts, d, as_of)?
            .map_err(|why| format!("{} cannot compute {name} from their files: {why}", computer.name()))?;
        let placed = &facts.placed[i];
        if by_key.len() != placed.groups.len() {
            return Err(format!(
                "{} found {} groups of {name} in their files, where writ placed them in {}",
                computer.name(),
                by_key.len(),
                placed.groups.len()
            ));
        }
        let mut values = Vec::with_capacity(placed.groups.len());
        for (key, _) in &placed.groups {
            values.push(
                by_key
                    .get(key)
                    .cloned()
                    .ok_or_else(|| format!("{}'s groups of {name} are not writ's", computer.name()))?,
            );
        }
        facts.placed[i].values = values;
    }
    Ok(())
}

/// What computes the values of kinds derived from records not kept.
enum Computer {
    Here(super::datafusion::Session),
    #[cfg(feature = "ballista")]
    Cluster(super::ballista::Cluster),
}

impl Computer {
    fn new(engine: &super::Engine, threads: usize) -> Result<Computer, String> {
        match engine {
            #[cfg(feature = "ballista")]
            super::Engine::Ballista { scheduler } => {
                super::ballista::Cluster::connect(scheduler).map(Computer::Cluster)
            }
            super::Engine::DataFusion { memory_limit } => {
                super::datafusion::Session::new(threads, *memory_limit).map(Computer::Here)
            }
            _ => Err("only the DataFusion and Ballista engines compute values from files".into()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Computer::Here(_) => "DataFusion",
            #[cfg(feature = "ballista")]
            Computer::Cluster(_) => "the Ballista cluster",
        }
    }

    fn values(
        &self,
        model: &Model,
        facts: &Facts,
        d: &DerivedDef,
        as_of: Date,
    ) -> Result<Result<ByKey, String>, String> {
        match self {
            Computer::Here(session) => session.values_from_files(model, facts, d, as_of),
            #[cfg(feature = "ballista")]
            Computer::Cluster(cluster) => cluster.values(model, facts, d, as_of),
        }
    }
}

/// The table of `kind` as [`crate::facts::parquet::write_kind`] would write it, from the
/// records writ holds, for a plan run in this process to join: when they were all read whole.
pub(super) fn held_table(model: &Model, facts: &Facts, kind: RecordId) -> Result<Arc<dyn TableSource>, String> {
    let rec = &model.records[kind.index()];
    let table = &facts.tables[kind.index()];
    if table.flawed > 0 || table.rejected_count() > 0 || !table.incomplete.is_empty() {
        return Err(format!("some {} records were not read whole", rec.name));
    }
    let (batch, units, _) = crate::facts::parquet::kind_batch(&crate::facts::Schema::of(model), facts, kind);
    for (column, unit) in &units {
        let declared = rec.field(column).and_then(|f| rec.fields[f].unit.as_ref());
        if declared.is_none_or(|d| d.name != *unit) {
            return Err(format!("the {} values of `{column}` are not all exact in its unit", rec.name));
        }
    }
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let number = rec
            .field(field.name())
            .is_some_and(|f| matches!(rec.fields[f].ty, Ty::Number | Ty::Percent | Ty::Quantity(_)));
        if number && !matches!(column.data_type(), DataType::Decimal128(..)) {
            return Err(format!("the {} values of `{}` do not fit 38 digits", rec.name, field.name()));
        }
    }
    let table =
        datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(|e| e.to_string())?;
    Ok(provider_as_source(Arc::new(table)))
}

/// Whether the records of a kind not kept that `facts` holds, a part of them linked to the
/// records kept, are as an engine reading their files reads them, for each kind derived from
/// them: no value unreadable, and a value wherever one is read (see
/// [`super::datafusion::lowers`]). The caller has seen that none was rejected.
pub fn clean_part(model: &Model, facts: &Facts, kind: RecordId, as_of: Date) -> Result<(), String> {
    let table = &facts.tables[kind.index()];
    if table.flawed > 0 {
        return Err(format!("{} of them have a value that could not be read", table.flawed));
    }
    // A record without its date makes an aggregate `during` a period unknown, and writ says
    // which record: it must be there to be named.
    let rec = &model.records[kind.index()];
    if let Some(f) = rec.dated
        && let Some(row) = (0..table.len()).find(|&r| !table.columns[f].is_present(r))
    {
        return Err(format!("line {} has no {}", table.origins.line[row], rec.fields[f].name));
    }
    for d in model.derived.iter().filter(|d| d.from == kind) {
        super::datafusion::lowers(model, facts, d, as_of).map_err(|why| {
            format!("{} cannot be computed from their files: {why}", model.records[d.kind.index()].name)
        })?;
    }
    Ok(())
}

/// The table of `kind` over the Parquet files its records were read from, in `ctx`, when an
/// engine reading them reads what writ read: every record of its files kept, one file after
/// another, the columns of the types writ reads them as, exact numbers (decimals or whole
/// numbers, never binary floats) in the field's unit, moments in civil time.
pub(super) fn parquet_table(
    ctx: &SessionContext,
    runtime: &tokio::runtime::Runtime,
    model: &Model,
    facts: &Facts,
    kind: RecordId,
) -> Result<Arc<dyn TableSource>, String> {
    let rec = &model.records[kind.index()];
    let table = &facts.tables[kind.index()];
    let mut kept: Vec<(u32, u64)> = Vec::new();
    for &f in &table.origins.file {
        match kept.last_mut() {
            Some((file, n)) if *file == f => *n += 1,
            _ => kept.push((f, 1)),
        }
    }
    if kept.is_empty() {
        return Err(format!("no {} record was read", rec.name));
    }
    let mut paths = Vec::new();
    let mut schema: Option<datafusion::arrow::datatypes::Schema> = None;
    for &(f, n) in &kept {
        let path = PathBuf::from(&*facts.files[f as usize]);
        let parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        if !parquet || paths.contains(&path) {
            return Err(format!("its {} records were not all read from Parquet files, one after another", rec.name));
        }
        let (rows, file_schema, units) = parquet_meta(&path)?;
        if rows != n {
            return Err(format!(
                "{} holds {rows} rows, of which writ kept {n}: an engine would read them all",
                path.display()
            ));
        }
        for (column, unit) in &units {
            let declared = rec.field(column).and_then(|f| rec.fields[f].unit.as_ref());
            let same =
                declared.is_some_and(|d| model.units.parse(unit).is_ok_and(|u| u.factor == d.factor && u.dim == d.dim));
            if !same {
                return Err(format!("{}: column `{column}` is in {unit}, not in its field's unit", path.display()));
            }
        }
        for field in &rec.fields {
            let Some(at) = file_schema.fields().iter().find(|c| c.name() == &field.name) else { continue };
            let fits = match field.ty {
                Ty::Number | Ty::Percent | Ty::Quantity(_) => {
                    at.data_type().is_integer() || matches!(at.data_type(), DataType::Decimal128(..))
                }
                Ty::DateTime => matches!(at.data_type(), DataType::Timestamp(_, None)),
                Ty::Date => matches!(at.data_type(), DataType::Date32),
                Ty::Bool => matches!(at.data_type(), DataType::Boolean),
                _ => matches!(at.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
            };
            if !fits {
                return Err(format!(
                    "{}: column `{}` holds {}, which an engine would not read as writ reads it",
                    path.display(),
                    field.name,
                    at.data_type()
                ));
            }
        }
        match &schema {
            Some(s) if *s != file_schema => {
                return Err(format!("the Parquet files of {} differ in their columns", rec.name));
            }
            _ => schema = Some(file_schema),
        }
        paths.push(path);
    }
    let mut urls = Vec::with_capacity(paths.len());
    for p in &paths {
        let p = std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()))?;
        urls.push(ListingTableUrl::parse(p.to_string_lossy()).map_err(|e| e.to_string())?);
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let state = ctx.state();
    let config = runtime
        .block_on(ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).infer_schema(&state))
        .map_err(|e| format!("the Parquet files of {} cannot be read: {e}", rec.name))?;
    let table = ListingTable::try_new(config).map_err(|e| e.to_string())?;
    Ok(provider_as_source(Arc::new(table)))
}

/// A Parquet file's rows, its columns as Arrow reads them, and the units its metadata gives.
type Meta = (u64, datafusion::arrow::datatypes::Schema, Vec<(String, String)>);

/// The [`Meta`] of the Parquet file at `path`.
pub(super) fn parquet_meta(path: &std::path::Path) -> Result<Meta, String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = reader.metadata().file_metadata();
    let kv = meta.key_value_metadata();
    let schema = parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let units = (kv.into_iter().flatten())
        .filter_map(|kv| Some((kv.key.strip_prefix(crate::facts::parquet::UNIT_KEY)?.to_string(), kv.value.clone()?)))
        .filter(|(_, u)| !u.trim().is_empty())
        .collect();
    Ok((meta.num_rows().max(0) as u64, schema, units))
}

/// An engine's result as values writ holds, by group key.
pub(super) fn read(
    model: &Model,
    facts: &Facts,
    d: &DerivedDef,
    lowered: &super::sql::Lowered,
    batches: &[RecordBatch],
) -> Result<ByKey, String> {
    let rec = &model.records[d.kind.index()];
    let first = d.first_value();
    let mut out = ByKey::new();
    let column = |b: &RecordBatch, name: &str| -> Result<ArrayRef, String> {
        b.column_by_name(name).cloned().ok_or_else(|| format!("the engine's result has no column `{name}`"))
    };
    for b in batches {
        let mut groups = Vec::with_capacity(d.groups.len());
        for (i, g) in d.groups.iter().enumerate() {
            let (kind, scale) = &lowered.groups[i];
            groups.push((as_read(&column(b, &rec.fields[i].name)?, *kind)?, &g.ty, (*kind, scale)));
        }
        let mut values = Vec::with_capacity(d.values.len());
        for (j, out) in lowered.values.iter().enumerate() {
            let name = &rec.fields[first + j].name;
            values.push(match out {
                Out::InWrit => None,
                Out::Count | Out::Value(_) => Some((column(b, name)?, None)),
                Out::Mean(_) => Some((column(b, &format!("{name}_sum"))?, Some(column(b, &format!("{name}_count"))?))),
            });
        }
        for r in 0..b.num_rows() {
            let mut key = Vec::with_capacity(groups.len());
            for (array, ty, (kind, scale)) in &groups {
                key.push(group_value(model, facts, array, r, ty, *kind, scale)?);
            }
            let mut computed = Vec::with_capacity(values.len());
            for (out, arrays) in lowered.values.iter().zip(&values) {
                computed.push(match (out, arrays) {
                    (Out::Count, Some((n, _))) => number(n, r)?.map(Value::Num),
                    (Out::Value(scale), Some((s, _))) => match number(s, r)? {
                        Some(x) => Some(Value::Num(held(x, scale)?)),
                        None => None,
                    },
                    (Out::Mean(scale), Some((s, Some(n)))) => match (number(s, r)?, number(n, r)?) {
                        (Some(s), Some(n)) => held(s, scale)?.checked_div(n).map(Value::Num),
                        _ => None,
                    },
                    _ => None,
                });
            }
            if out.insert(key, computed).is_some() {
                return Err(format!("the engine gave one group of {} twice", rec.name));
            }
        }
    }
    Ok(out)
}

/// A number of the result, exactly: a decimal or a whole number; `None` for null.
fn number(a: &ArrayRef, r: usize) -> Result<Option<Decimal>, String> {
    if a.is_null(r) {
        return Ok(None);
    }
    match a.data_type() {
        DataType::Decimal128(_, s) if *s >= 0 => {
            let m = a.as_primitive::<Decimal128Type>().value(r);
            Decimal::try_from_i128_with_scale(m, *s as u32).map(Some).map_err(|e| e.to_string())
        }
        DataType::Int64 => Ok(Some(Decimal::from(a.as_primitive::<Int64Type>().value(r)))),
        t if t.is_integer() => {
            // One value of another width: sliced, so as not to convert the whole column.
            let a = cast(&a.slice(r, 1), &DataType::Int64).map_err(|e| e.to_string())?;
            Ok(Some(Decimal::from(a.as_primitive::<Int64Type>().value(0))))
        }
        t => Err(format!("the engine gave a number of type {t}")),
    }
}

/// A number in `scale` as writ holds it.
fn held(x: Decimal, scale: &Scale) -> Result<Decimal, String> {
    match scale {
        Scale::Held => Ok(x),
        Scale::Percent => x.checked_div(Decimal::ONE_HUNDRED).ok_or_else(|| format!("{x}% is out of range")),
        Scale::Unit(u) => u.to_si(x).ok_or_else(|| format!("{x} {} is out of range", u.name)),
    }
}

/// A group field's column of the engine's result in the type [`group_value`] reads it as: texts
/// as `Utf8`, days as `Int32`, moments as seconds in `Int64`. Cast once per batch, not per row.
fn as_read(array: &ArrayRef, kind: Kind) -> Result<ArrayRef, String> {
    let to = match kind {
        Kind::Id => DataType::Utf8,
        Kind::Day => DataType::Int32,
        Kind::Moment => {
            let seconds = cast(array, &DataType::Timestamp(TimeUnit::Second, None)).map_err(|e| e.to_string())?;
            return cast(&seconds, &DataType::Int64).map_err(|e| e.to_string());
        }
        _ => return Ok(array.clone()),
    };
    if *array.data_type() == to { Ok(array.clone()) } else { cast(array, &to).map_err(|e| e.to_string()) }
}

/// Group field value `r` of `array` (cast by [`as_read`]) as writ holds a value of type `ty`.
fn group_value(
    model: &Model,
    facts: &Facts,
    array: &ArrayRef,
    r: usize,
    ty: &Ty,
    kind: Kind,
    scale: &Scale,
) -> Result<Value, String> {
    if array.is_null(r) {
        return Err("the engine gave a group with no value in a group field".into());
    }
    let text = || -> Result<String, String> {
        let a = array.as_string_opt::<i32>().ok_or("the engine gave a group text of another type")?;
        Ok(a.value(r).to_string())
    };
    let epoch = super::datafusion::epoch();
    Ok(match (ty, kind) {
        (Ty::Text, Kind::Id) => Value::Text(text()?.into()),
        (Ty::Ref(k), Kind::Id) => {
            let key = text()?;
            let row = facts.tables[k.index()].by_key.get(&key);
            Value::Ref(*k, row.ok_or_else(|| format!("the engine gave a group of `{key}`, a record writ has not"))?)
        }
        (Ty::Enum(e), Kind::Id) => {
            let t = text()?;
            let at = model.enums[e.index()].variants.iter().position(|v| *v == t);
            Value::Enum(at.ok_or_else(|| format!("the engine gave a group of `{t}`, not a value of the enum"))? as u32)
        }
        (Ty::Party, Kind::Id) => {
            let t = text()?;
            let at = model.parties.iter().position(|p| p.name == t);
            Value::Party(crate::model::PartyId::at(
                at.ok_or_else(|| format!("the engine gave a group of `{t}`, not a party"))?,
            ))
        }
        (Ty::Date, Kind::Day) => {
            let a = (array.as_primitive_opt::<datafusion::arrow::datatypes::Int32Type>())
                .ok_or("the engine gave a group day of another type")?;
            Value::Date(Date(a.value(r) + epoch))
        }
        (Ty::DateTime, Kind::Moment) => {
            let a = array.as_primitive_opt::<Int64Type>().ok_or("the engine gave a group moment of another type")?;
            Value::DateTime(DateTime(a.value(r)))
        }
        (Ty::Bool, Kind::Bool) => Value::Bool(array.as_boolean().value(r)),
        (Ty::Number | Ty::Percent | Ty::Quantity(_), Kind::Num) => {
            let x = number(array, r)?.ok_or("a group number with no value")?;
            Value::Num(held(x, scale)?)
        }
        (ty, _) => return Err(format!("the engine gave a group field of another type than {ty:?}")),
    })
}
