//! The Ballista engine (`--engine ballista://HOST:PORT`, `--features ballista`): the aggregates
//! of a derived kind computed on an Apache Ballista cluster, whose executors read the Parquet
//! files the source records were read from.
//!
//! writ reads and checks the facts as it always does, and places the source records in groups
//! itself (it needs each group's records to cite them). The cluster runs the plan `writ sql`
//! prints for the kind ([`super::sql::plan`]), over the same files, and gives back per group its
//! counts, sums, extremes and the parts of its means; writ takes them, group by group, as the
//! values it would have computed. A kind is sent to the cluster only when the cluster reads what
//! writ read: every record of its files kept, the fields read with no unreadable value (the
//! checks of the DataFusion engine), exact numbers (decimals or whole numbers, never binary
//! floats) in the field's unit, moments in civil time. Otherwise, and for a kind grouped from
//! another derived kind, writ groups it, and says why. The cluster's groups must be writ's: a
//! group the cluster misses or adds is an error, never a value taken.

use super::datafusion::{Kind, Scale};
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
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::derive::ByKey;

/// A connection to a Ballista scheduler.
pub(super) struct Cluster {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
    scheduler: Arc<str>,
}

impl Cluster {
    /// Connects to the scheduler at `scheduler` (`host:port`).
    pub fn connect(scheduler: &str) -> Result<Cluster, String> {
        use ballista::prelude::SessionContextExt;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .worker_threads(2)
            .thread_name("ballista")
            .build()
            .map_err(|e| format!("the threads that talk to Ballista cannot be started: {e}"))?;
        let ctx = runtime
            .block_on(SessionContext::remote(&format!("df://{scheduler}")))
            .map_err(|e| format!("cannot reach the Ballista scheduler at {scheduler}: {e}"))?;
        Ok(Cluster { ctx, runtime, scheduler: scheduler.into() })
    }

    /// The values of derived kind `d` per group, computed on the cluster: `Ok(Err(why))` when
    /// the kind cannot be sent there, `Err` when the cluster failed.
    pub fn values(
        &self,
        model: &Model,
        facts: &Facts,
        d: &DerivedDef,
        as_of: Date,
    ) -> Result<Result<ByKey, String>, String> {
        // What the DataFusion engine declines (unreadable values, a group field missing in some
        // records, a window), the cluster would read otherwise.
        if let Err(why) = super::datafusion::lowers(model, facts, d, as_of) {
            return Ok(Err(why));
        }
        if model.records[d.from.index()].derived {
            return Ok(Err(format!(
                "its records are derived ({}), not read from files the cluster can read",
                model.records[d.from.index()].name
            )));
        }
        let tables = |kind: RecordId| self.table(model, facts, kind);
        let lowered = match super::sql::plan(model, d, Some(as_of), &HashMap::new(), &tables) {
            Ok(l) => l,
            Err(why) => return Ok(Err(why)),
        };
        if lowered.values.iter().all(|v| matches!(v, Out::InWrit)) {
            return Ok(Err("none of its values is an aggregate the cluster computes as writ does".into()));
        }
        let name = &model.records[d.kind.index()].name;
        let batches = self
            .runtime
            .block_on(async { self.ctx.execute_logical_plan(lowered.plan.clone()).await?.collect().await })
            .map_err(|e| format!("the Ballista cluster at {} failed computing {name}: {e}", self.scheduler))?;
        read(model, facts, d, &lowered, &batches).map(Ok)
    }

    /// The table of `kind` over the Parquet files its records were read from, when the cluster
    /// reads them as writ did.
    fn table(&self, model: &Model, facts: &Facts, kind: RecordId) -> Result<Arc<dyn TableSource>, String> {
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
                return Err(format!(
                    "its {} records were not all read from Parquet files, one after another",
                    rec.name
                ));
            }
            let (rows, file_schema, units) = parquet_meta(&path)?;
            if rows != n {
                return Err(format!(
                    "{} holds {rows} rows, of which writ kept {n}: the cluster would read them all",
                    path.display()
                ));
            }
            for (column, unit) in &units {
                let declared = rec.field(column).and_then(|f| rec.fields[f].unit.as_ref());
                let same = declared
                    .is_some_and(|d| model.units.parse(unit).is_ok_and(|u| u.factor == d.factor && u.dim == d.dim));
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
                        "{}: column `{}` holds {}, which the cluster would not read as writ reads it",
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
        let state = self.ctx.state();
        let config = self
            .runtime
            .block_on(ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).infer_schema(&state))
            .map_err(|e| format!("the Parquet files of {} cannot be read: {e}", rec.name))?;
        let table = ListingTable::try_new(config).map_err(|e| e.to_string())?;
        Ok(provider_as_source(Arc::new(table)))
    }
}

/// A Parquet file's rows, its columns as Arrow reads them, and the units its metadata gives.
type Meta = (u64, datafusion::arrow::datatypes::Schema, Vec<(String, String)>);

/// The [`Meta`] of the Parquet file at `path`.
fn parquet_meta(path: &std::path::Path) -> Result<Meta, String> {
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

/// The cluster's result as values writ holds, by group key.
fn read(
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
        b.column_by_name(name).cloned().ok_or_else(|| format!("the cluster's result has no column `{name}`"))
    };
    for b in batches {
        let mut groups = Vec::with_capacity(d.groups.len());
        for (i, g) in d.groups.iter().enumerate() {
            groups.push((column(b, &rec.fields[i].name)?, &g.ty, &lowered.groups[i]));
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
                return Err(format!("the cluster gave one group of {} twice", rec.name));
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
        t if t.is_integer() => {
            let a = cast(a, &DataType::Int64).map_err(|e| e.to_string())?;
            Ok(Some(Decimal::from(a.as_primitive::<Int64Type>().value(r))))
        }
        t => Err(format!("the cluster gave a number of type {t}")),
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

/// Group field value `r` of `array` as writ holds a value of type `ty`.
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
        return Err("the cluster gave a group with no value in a group field".into());
    }
    let text = || -> Result<String, String> {
        let a = cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
        Ok(a.as_string::<i32>().value(r).to_string())
    };
    let epoch = super::datafusion::epoch();
    Ok(match (ty, kind) {
        (Ty::Text, Kind::Id) => Value::Text(text()?.into()),
        (Ty::Ref(k), Kind::Id) => {
            let key = text()?;
            let row = facts.tables[k.index()].by_key.get(&key);
            Value::Ref(*k, row.ok_or_else(|| format!("the cluster gave a group of `{key}`, a record writ has not"))?)
        }
        (Ty::Enum(e), Kind::Id) => {
            let t = text()?;
            let at = model.enums[e.index()].variants.iter().position(|v| *v == t);
            Value::Enum(at.ok_or_else(|| format!("the cluster gave a group of `{t}`, not a value of the enum"))? as u32)
        }
        (Ty::Party, Kind::Id) => {
            let t = text()?;
            let at = model.parties.iter().position(|p| p.name == t);
            Value::Party(crate::model::PartyId::at(
                at.ok_or_else(|| format!("the cluster gave a group of `{t}`, not a party"))?,
            ))
        }
        (Ty::Date, Kind::Day) => {
            let a = cast(array, &DataType::Int32).map_err(|e| e.to_string())?;
            Value::Date(Date(a.as_primitive::<datafusion::arrow::datatypes::Int32Type>().value(r) + epoch))
        }
        (Ty::DateTime, Kind::Moment) => {
            let a = cast(array, &DataType::Timestamp(TimeUnit::Second, None)).map_err(|e| e.to_string())?;
            let a = cast(&a, &DataType::Int64).map_err(|e| e.to_string())?;
            Value::DateTime(DateTime(a.as_primitive::<Int64Type>().value(r)))
        }
        (Ty::Bool, Kind::Bool) => Value::Bool(array.as_boolean().value(r)),
        (Ty::Number | Ty::Percent | Ty::Quantity(_), Kind::Num) => {
            let x = number(array, r)?.ok_or("a group number with no value")?;
            Value::Num(held(x, scale)?)
        }
        (ty, _) => return Err(format!("the cluster gave a group field of another type than {ty:?}")),
    })
}

/// A Ballista cluster in this process, on loopback: a scheduler and executors, each listening
/// on 127.0.0.1, each executor with its work folder in a folder of its own under the system's
/// temporary folder. For tests, and for trying the engine without a cluster: `--engine
/// ballista://` and [`Loopback::scheduler`]. Dropping it stops them and removes the folder.
///
/// Ballista's own standalone scheduler and executor bind `localhost`, which may be `::1`, and
/// leave their work folders behind; these are the same servers, set up as Ballista's
/// `standalone` modules set them up, bound to 127.0.0.1 and working in one folder.
pub struct Loopback {
    runtime: Option<tokio::runtime::Runtime>,
    /// The scheduler's address, `host:port`.
    pub scheduler: String,
    /// The address the scheduler listens on.
    pub address: std::net::SocketAddr,
    /// The executors' addresses.
    pub executors: Vec<std::net::SocketAddr>,
    /// The folder of the executors' work folders.
    pub work: PathBuf,
}

impl Loopback {
    /// A scheduler and `executors` executors of one task slot each, started and registered.
    pub fn start(executors: usize) -> Result<Loopback, String> {
        use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
        static CLUSTERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CLUSTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let work = std::env::temp_dir().join(format!("writ-ballista-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&work).map_err(|e| format!("cannot make `{}`: {e}", work.display()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .worker_threads(2)
            .thread_name("ballista cluster")
            .build()
            .map_err(|e| format!("the cluster's threads cannot be started: {e}"))?;
        let started = runtime.block_on(async {
            let address = scheduler().await.map_err(|e| format!("the scheduler cannot be started: {e}"))?;
            let url = format!("http://{address}");
            let mut tries = 0;
            let client = loop {
                match SchedulerGrpcClient::connect(url.clone()).await {
                    Ok(c) => break c,
                    Err(e) if tries >= 100 => return Err(format!("the scheduler at {url} does not answer: {e}")),
                    Err(_) => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            };
            let mut started = Vec::new();
            for i in 0..executors {
                let dir = work.join(format!("executor-{i}"));
                let at =
                    executor(client.clone(), &dir).await.map_err(|e| format!("an executor cannot be started: {e}"))?;
                started.push(at);
            }
            Ok((address, started))
        });
        let (address, executors) = match started {
            Ok(s) => s,
            Err(e) => {
                runtime.shutdown_background();
                let _ = std::fs::remove_dir_all(&work);
                return Err(e);
            }
        };
        Ok(Loopback { runtime: Some(runtime), scheduler: address.to_string(), address, executors, work })
    }
}

/// Ballista's standalone scheduler (`ballista_scheduler::standalone`), listening on 127.0.0.1.
async fn scheduler() -> ballista_core::error::Result<std::net::SocketAddr> {
    use ballista_core::extension::SessionConfigExt;
    use ballista_core::serde::BallistaCodec;
    use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
    use ballista_core::utils::{
        GrpcServerConfig, create_grpc_server, default_config_producer, default_session_builder,
    };
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    use ballista_scheduler::scheduler_server::SchedulerServer;
    use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let address = listener.local_addr()?;
    let config = default_config_producer();
    let cluster = BallistaCluster::new_memory(
        address.to_string(),
        Arc::new(default_session_builder),
        Arc::new(default_config_producer),
    );
    let policy = ballista_core::config::TaskSchedulingPolicy::PullStaged;
    let mut server: SchedulerServer<LogicalPlanNode, PhysicalPlanNode> = SchedulerServer::new(
        address.to_string(),
        cluster,
        BallistaCodec::default(),
        Arc::new(SchedulerConfig::default().with_scheduler_policy(policy)),
        ballista_scheduler::metrics::default_metrics_collector()?,
    );
    server.init().await?;
    let service = SchedulerGrpcServer::new(server)
        .max_decoding_message_size(config.ballista_grpc_client_max_message_size())
        .max_encoding_message_size(config.ballista_grpc_client_max_message_size());
    tokio::spawn(
        create_grpc_server(&GrpcServerConfig::default())
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Ok(address)
}

/// Ballista's standalone executor (`ballista_executor::new_standalone_executor`) of one task
/// slot, listening on 127.0.0.1, working in `dir`, registered with `scheduler`.
async fn executor(
    scheduler: ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient<tonic::transport::Channel>,
    dir: &std::path::Path,
) -> ballista_core::error::Result<std::net::SocketAddr> {
    use arrow_flight::flight_service_server::FlightServiceServer;
    use ballista_core::extension::{
        SessionConfigExt, ballista_aggregate_functions, ballista_scalar_functions, ballista_window_functions,
    };
    use ballista_core::serde::BallistaCodec;
    use ballista_core::serde::protobuf::ExecutorRegistration;
    use ballista_core::serde::scheduler::{ExecutorOperatingSystemSpecification, ExecutorSpecification};
    use ballista_core::utils::{GrpcServerConfig, create_grpc_server, default_config_producer};
    use ballista_core::{BALLISTA_PROTOCOL_VERSION, ConfigProducer, RuntimeProducer};
    use ballista_executor::executor::Executor;
    use ballista_executor::flight_service::BallistaFlightService;
    use ballista_executor::metrics::LoggingMetricsCollector;
    use datafusion::execution::SessionStateBuilder;

    std::fs::create_dir_all(dir)?;
    let work = dir.to_str().ok_or_else(|| std::io::Error::other("the work folder's path is not UTF-8"))?.to_string();
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_scalar_functions(ballista_scalar_functions())
        .with_aggregate_functions(ballista_aggregate_functions())
        .with_window_functions(ballista_window_functions())
        .build();
    let runtime = state.runtime_env().clone();
    let runtime_producer: RuntimeProducer = Arc::new(move |_| Ok(runtime.clone()));
    let config_producer: ConfigProducer = Arc::new(default_config_producer);
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let address = listener.local_addr()?;
    let registration = ExecutorRegistration {
        id: ballista_core::ids::new_instance_id(),
        host: Some(address.ip().to_string()),
        port: u32::from(address.port()),
        // Not served: the executor pulls its tasks from the scheduler.
        grpc_port: 0,
        specification: Some(ExecutorSpecification::default().with_vcores(1).into()),
        os_info: Some(ExecutorOperatingSystemSpecification::default().into()),
        ballista_protocol_version: BALLISTA_PROTOCOL_VERSION,
    };
    let max = config_producer().ballista_grpc_client_max_message_size();
    let executor = Arc::new(Executor::with_default_execution_engine(
        registration,
        &work,
        runtime_producer,
        config_producer,
        Arc::new((&state).into()),
        Arc::new(LoggingMetricsCollector::default()),
        1,
    ));
    let flight = FlightServiceServer::new(BallistaFlightService::new(work))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    tokio::spawn(
        create_grpc_server(&GrpcServerConfig::default())
            .add_service(flight)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    tokio::spawn(ballista_executor::execution_loop::poll_loop(
        scheduler,
        executor,
        BallistaCodec::<datafusion_proto::protobuf::LogicalPlanNode, datafusion_proto::protobuf::PhysicalPlanNode>::default(),
        None,
        None,
        ballista_executor::health::ExecutorHealth::new(),
    ));
    Ok(address)
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        }
        let _ = std::fs::remove_dir_all(&self.work);
    }
}
