//! Shared code for the CretoAI benchmarks: a lean HTTP/1.1 client, latency percentiles, the
//! helpers that start a node for a load run, and the report that runs them all.

pub mod closed_loop;
pub mod cluster_load;
pub mod criterion_table;
pub mod handshake;
pub mod http_client;
pub mod latency;
pub mod local_cluster;
pub mod node_process;
pub mod presigned;
pub mod process_usage;
pub mod replicated_latency;
pub mod report;
pub mod vault_load;
