use reqwest::StatusCode;
use test_support::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_names_the_app_and_its_denylist() {
    for (args, store) in [(&[][..], "off"), (&["--denylist", "memory"][..], "memory")] {
        let app = spawn_app(args).await;
        let res = app.client.get(app.url("/health")).send().await.unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["app"], "jwt-app");
        assert_eq!(body["store"], store);
    }
}
