//! The session layer's writes, counted for `/debug/store`: what a request's
//! own session costs the store (a login's create, the idle deadline's slide,
//! a logout's delete). The lifecycle's ends of other sessions and the sweeps
//! of expired ones go to the store directly and are not counted.

use std::sync::Arc;

use auth_core::stats::Writes;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};

/// `S` as the session layer sees it, each write that succeeded counted.
#[derive(Debug, Clone)]
pub struct Counted<S> {
    store: S,
    writes: Arc<Writes>,
}

impl<S> Counted<S> {
    pub fn new(store: S, writes: Arc<Writes>) -> Self {
        Self { store, writes }
    }

    fn counted<T>(&self, result: session_store::Result<T>) -> session_store::Result<T> {
        if result.is_ok() {
            self.writes.record();
        }
        result
    }
}

#[async_trait::async_trait]
impl<S: SessionStore + Clone> SessionStore for Counted<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let result = self.store.create(record).await;
        self.counted(result)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let result = self.store.save(record).await;
        self.counted(result)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let result = self.store.delete(id).await;
        self.counted(result)
    }
}
