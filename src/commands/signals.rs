//! The signals that stop a run that writes or spends: SIGINT (Ctrl-C) and SIGTERM (a
//! cancelled CI job). The first asks the run to start nothing new; a second stops it at once.

/// SIGINT and SIGTERM (a cancelled CI job), listened to from before the first write.
pub(super) struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub(super) fn listen() -> Self {
        Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    /// The next SIGINT or SIGTERM.
    pub(super) async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(terminate) = &mut self.terminate {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        // Without a handler there is nothing to wait for but the apply itself.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
