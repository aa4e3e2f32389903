//! What reached a server, as the server saw it: the only witness of whether
//! the browser attached a cookie to a request another site triggered.

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    extract::{Request, State},
    http::header,
    middleware::{self, Next},
    response::Response,
};

#[derive(Debug, Clone)]
pub struct Arrival {
    pub method: String,
    pub path: String,
    pub cookie: bool,
    pub authorization: bool,
    pub origin: Option<String>,
    pub status: u16,
}

#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Arrival>>>);

impl Recorder {
    /// `router`, recording every request it answers.
    pub fn around(&self, router: Router) -> Router {
        router.layer(middleware::from_fn_with_state(self.clone(), record))
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.0.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// The requests `method path` that arrived.
    pub fn of(&self, method: &str, path: &str) -> Vec<Arrival> {
        self.arrivals()
            .into_iter()
            .filter(|a| a.method == method && a.path == path)
            .collect()
    }
}

async fn record(State(recorder): State<Recorder>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let cookie = req.headers().contains_key(header::COOKIE);
    let authorization = req.headers().contains_key(header::AUTHORIZATION);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.run(req).await;
    if let Ok(mut arrivals) = recorder.0.lock() {
        arrivals.push(Arrival {
            method,
            path,
            cookie,
            authorization,
            origin,
            status: res.status().as_u16(),
        });
    }
    res
}
