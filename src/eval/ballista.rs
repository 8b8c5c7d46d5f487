//! The Ballista engine (`--engine ballista://HOST:PORT`, `--features ballista`): the aggregates
//! of a derived kind computed on an Apache Ballista cluster, whose executors read the Parquet
//! files the source records were read from.
//!
//! writ reads and checks the facts as it always does, and places the source records in groups
//! itself (it needs each group's records to cite them); the records of a kind that nothing else
//! reads are placed as they are read and not kept, as on the DataFusion engine
//! ([`super::files::compute_unkept`]). The cluster runs the plan `writ sql`
//! prints for the kind ([`super::sql::plan`]), over the same files, and gives back per group its
//! counts, sums, extremes and the parts of its means; writ takes them, group by group, as the
//! values it would have computed. A kind is sent to the cluster only when the cluster reads what
//! writ read: every record of its files kept, the fields read with no unreadable value (the
//! checks of the DataFusion engine), exact numbers (decimals or whole numbers, never binary
//! floats) in the field's unit, moments in civil time. Otherwise, and for a kind grouped from
//! another derived kind, writ groups it, and says why. The cluster's groups must be writ's: a
//! group the cluster misses or adds is an error, never a value taken.

use super::derive::ByKey;
use super::files::{parquet_table, read};
use super::sql::Out;
use crate::facts::Facts;
use crate::model::*;
use crate::value::Date;
use datafusion::prelude::SessionContext;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

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
        // records, a window), the cluster would read otherwise. Records not kept were checked so
        // part by part as they were read ([`super::files::clean_part`]).
        if !facts.tables[d.from.index()].streamed
            && let Err(why) = super::datafusion::lowers(model, facts, d, as_of)
        {
            return Ok(Err(why));
        }
        if model.records[d.from.index()].derived {
            return Ok(Err(format!(
                "its records are derived ({}), not read from files the cluster can read",
                model.records[d.from.index()].name
            )));
        }
        let tables = |kind: RecordId| parquet_table(&self.ctx, &self.runtime, model, facts, kind);
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
