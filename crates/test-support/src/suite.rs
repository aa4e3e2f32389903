//! The contract suite and the attacks of [`crate::attacks`] instantiated once per backend, one `#[tokio::test]` per
//! rule, so that a failure names the backend it broke on (the shape of
//! tower-sessions' `tests/common` `route_tests!`).

use crate::TestServer;

/// A started app the suite can talk to.
pub trait Served {
    fn server(&self) -> &TestServer;

    /// The app's own binary with the settings its server was started with
    /// (so the same database), as an operator runs it beside the server.
    fn operator(&self) -> tokio::process::Command;

    /// Its data folder (the SQLite file, unless another database is set).
    fn data_dir(&self) -> &std::path::Path;
}

/// An app together with what must live as long as it (a throwaway database).
impl<G, T: Served> Served for (G, T) {
    fn server(&self) -> &TestServer {
        self.1.server()
    }

    fn operator(&self) -> tokio::process::Command {
        self.1.operator()
    }

    fn data_dir(&self) -> &std::path::Path {
        self.1.data_dir()
    }
}

/// `contract_suite!(postgres, "session-app", start)` makes a module
/// `postgres` with one test per contract rule. `start(&extra_args)`, a sibling of the macro call, is an
/// async fn that starts the app on that backend, or gives `None` when the
/// backend's server is missing outside CI (it has said so already).
#[macro_export]
macro_rules! contract_suite {
    ($backend:ident, $app_name:literal, $start:ident) => {
        mod $backend {
            use $crate::{attacks, contract, suite::Served};

            #[tokio::test]
            async fn register_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::register_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn login_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::login_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn protected_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::protected_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn admin_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::admin_rules(&app).await;
                }
            }

            #[tokio::test]
            async fn set_role_command_rules() {
                if let Some(app) = super::$start(&[]).await {
                    $crate::operator::set_role_command_rules(&app).await;
                }
            }

            #[tokio::test]
            async fn routing_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::routing_rules(app.server(), $app_name).await;
                }
            }

            #[tokio::test]
            async fn cors_rules() {
                if let Some(app) = super::$start(contract::WITH_ALLOWED_ORIGIN).await {
                    contract::cors_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn no_cors_without_allowed_origins() {
                if let Some(app) = super::$start(&[]).await {
                    contract::no_cors_without_allowed_origins(app.server()).await;
                }
            }

            #[tokio::test]
            async fn throttle_rules() {
                if let Some(app) = super::$start(&[]).await {
                    contract::throttle_rules(app.server()).await;
                }
            }

            $crate::attack!(parallel_guesses_cannot_pass_the_throttle, $start, &[]);
            $crate::attack!(
                strangers_cannot_lock_the_owner_out,
                $start,
                attacks::BEHIND_PROXY
            );
            $crate::attack!(forwarded_for_is_not_believed, $start, &[]);
            $crate::attack!(one_address_is_one_account, $start, &[]);
            $crate::attack!(
                registration_is_limited_per_address,
                $start,
                attacks::FEW_REGISTRATIONS
            );
            $crate::attack!(
                a_login_flood_is_answered_busy,
                $start,
                attacks::ONE_SLOW_HASH
            );
            $crate::attack!(security_headers_on_every_response, $start, &[]);
            $crate::attack!(demoted_admin_cannot_restore_itself, $start, &[]);
            $crate::attack!(
                a_known_device_passes_the_per_email_cap,
                $start,
                attacks::DEVICE_COOKIE_CAP
            );
            $crate::attack!(loose_emails_are_refused_at_registration, $start, &[]);
        }
    };
}

/// `lifecycle_suite!(postgres, start)`: the account lifecycle's rules of
/// [`crate::lifecycle`] on one backend, one `#[tokio::test]` each.
#[macro_export]
macro_rules! lifecycle_suite {
    ($backend:ident, $start:ident) => {
        mod $backend {
            use $crate::{lifecycle, suite::Served};

            #[tokio::test]
            async fn logins_rules() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::logins_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn end_login_rules() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::end_login_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn logout_everywhere_rules() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::logout_everywhere_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn password_change_rules() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::password_change_rules(app.server()).await;
                }
            }

            #[tokio::test]
            async fn overlong_passwords_are_refused_as_at_login() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::overlong_passwords_are_refused_as_at_login(app.server()).await;
                }
            }

            #[tokio::test]
            async fn admin_end_logins_rules() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::admin_end_logins_rules(&app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn password_change_races() {
                if let Some(app) = super::$start(&[]).await {
                    lifecycle::password_change_races(app.server()).await;
                }
            }
        }
    };
}

/// One attack of [`crate::attacks`] as a test, inside a [`contract_suite!`].
#[doc(hidden)]
#[macro_export]
macro_rules! attack {
    ($name:ident, $start:ident, $args:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            if let Some(app) = super::$start($args).await {
                $crate::attacks::$name(&app).await;
            }
        }
    };
}

/// `fuzz_suite!(memory, start)`: the arbitrary-request property of
/// [`crate::fuzz`] against the app `start(&extra_args)` starts, whose users
/// are in the SQLite file of its data folder.
#[macro_export]
macro_rules! fuzz_suite {
    ($backend:ident, $start:ident) => {
        mod $backend {
            use $crate::suite::Served;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn arbitrary_requests_break_nothing() {
                if let Some(app) = super::$start($crate::fuzz::WITH_STATS).await {
                    $crate::fuzz::arbitrary_requests_break_nothing(&app).await;
                }
            }
        }
    };
}
