//! Proves the Amazon ECR API harness (tests/support/moto.rs): a real moto server, the
//! recording proxy and the in-process fake, and pins the moto behaviours written down at the
//! top of moto.rs, so a different moto version fails here first, with a clear name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::panic::AssertUnwindSafe;

use serde_json::{json, Value};
use support::moto::{
    ecr_call, ecr_call_ok, ecr_raw, image_detail, is_read_only_action, parse_authorization,
    EcrRecorder, FakeEcrApi, Moto, ACCOUNT_ID, AMZ_JSON, DUMMY_AMZ_DATE, RECORDER_MAX_BODY,
    TARGET_PREFIX,
};
use support::{sha256_digest, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// An OCI image manifest for `arch` whose config and layer descriptors carry the real digests
/// and sizes of their bytes; returns `(manifest bytes, config size)`.
fn image_manifest(arch: &str) -> (Vec<u8>, usize) {
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [] }
    }))
    .unwrap();
    let layer = format!("layer bytes for {arch}").into_bytes();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len() },
        "layers": [{ "mediaType": LAYER, "digest": sha256_digest(&layer), "size": layer.len() }]
    }))
    .unwrap();
    (manifest, config.len())
}

/// An OCI index over `(manifest bytes, arch)` children, with their real digests and sizes.
fn index_manifest(children: &[(&[u8], &str)]) -> Vec<u8> {
    let manifests: Vec<Value> = children
        .iter()
        .map(|(bytes, arch)| {
            json!({
                "mediaType": OCI_MANIFEST,
                "digest": sha256_digest(bytes),
                "size": bytes.len(),
                "platform": { "architecture": arch, "os": "linux" }
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests
    }))
    .unwrap()
}

fn by_digest<'a>(details: &'a [Value], digest: &str) -> &'a Value {
    details
        .iter()
        .find(|d| d["imageDigest"] == digest)
        .unwrap_or_else(|| panic!("{digest} not among {details:?}"))
}

fn error_type(resp: &support::HttpResponse) -> String {
    resp.json()["__type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn moto_keeps_an_index_and_its_children_verbatim_and_the_recorder_sees_each_action() {
    let moto = Moto::start();
    let recorder = EcrRecorder::start(moto.url());
    let repo = moto.create_repository("app/web");
    assert_eq!(repo["repositoryName"], "app/web");

    let (amd64, amd64_config_size) = image_manifest("amd64");
    let (arm64, arm64_config_size) = image_manifest("arm64");
    let index = index_manifest(&[(&amd64, "amd64"), (&arm64, "arm64")]);
    let (amd64_digest, arm64_digest, index_digest) = (
        sha256_digest(&amd64),
        sha256_digest(&arm64),
        sha256_digest(&index),
    );
    moto.put_image("app/web", &amd64, OCI_MANIFEST, &amd64_digest, None);
    moto.put_image("app/web", &arm64, OCI_MANIFEST, &arm64_digest, None);
    moto.put_image("app/web", &index, OCI_INDEX, &index_digest, Some("v1"));

    // Everything below goes through the recorder; the seeding above did not.
    let details = ecr_call_ok(
        recorder.url(),
        "DescribeImages",
        &json!({ "repositoryName": "app/web" }),
    )["imageDetails"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(details.len(), 3, "{details:?}");
    // Push order, one page.
    let digests: Vec<&str> = details
        .iter()
        .map(|d| d["imageDigest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [&amd64_digest, &arm64_digest, &index_digest]);

    let idx = by_digest(&details, &index_digest);
    assert_eq!(idx["imageTags"], json!(["v1"]));
    assert_eq!(idx["imageManifestMediaType"], OCI_INDEX);
    assert_eq!(idx["registryId"], ACCOUNT_ID);
    assert_eq!(idx["repositoryName"], "app/web");
    assert!(idx.get("imageSizeInBytes").is_none(), "{idx}");
    assert!(idx["imagePushedAt"].is_u64(), "integer seconds: {idx}");

    for (digest, config_size) in [
        (&amd64_digest, amd64_config_size),
        (&arm64_digest, arm64_config_size),
    ] {
        let child = by_digest(&details, digest);
        assert!(child.get("imageTags").is_none(), "untagged: {child}");
        assert_eq!(child["imageManifestMediaType"], OCI_MANIFEST);
        // moto's "size" is the config blob's size, not the image's.
        assert_eq!(child["imageSizeInBytes"], json!(config_size));
    }
    for absent in [
        "artifactMediaType",
        "imageStatus",
        "lastRecordedPullTime",
        "subjectManifestDigest",
        "imageScanStatus",
        "imageScanFindingsSummary",
    ] {
        assert!(
            details.iter().all(|d| d.get(absent).is_none()),
            "moto now returns {absent}: {details:?}"
        );
    }

    // BatchGetImage gives the manifest back byte for byte.
    let got = ecr_call_ok(
        recorder.url(),
        "BatchGetImage",
        &json!({ "repositoryName": "app/web", "imageIds": [{ "imageTag": "v1" }],
                 "acceptedMediaTypes": [OCI_INDEX] }),
    );
    let image = &got["images"][0];
    assert_eq!(image["imageId"]["imageDigest"], index_digest.as_str());
    assert_eq!(
        image["imageManifest"].as_str().unwrap().as_bytes(),
        &index[..]
    );

    assert_eq!(recorder.actions(), ["DescribeImages", "BatchGetImage"]);
    let first = &recorder.requests()[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/");
    assert_eq!(
        first.target.as_deref(),
        Some(format!("{TARGET_PREFIX}.DescribeImages").as_str())
    );
    assert_eq!(first.region.as_deref(), Some("us-east-1"));
    assert_eq!(first.json()["repositoryName"], "app/web");
    recorder.assert_read_only();

    // A write through the recorder is recorded, and the read-only check names it.
    ecr_call_ok(
        recorder.url(),
        "BatchDeleteImage",
        &json!({ "repositoryName": "app/web", "imageIds": [{ "imageTag": "v1" }] }),
    );
    let failed =
        std::panic::catch_unwind(AssertUnwindSafe(|| recorder.assert_read_only())).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(message.contains("BatchDeleteImage"), "{message}");
}

#[test]
fn moto_token_signatures_regions_and_errors() {
    let moto = Moto::start();

    let (user, password, proxy, expires) = moto.get_authorization_token();
    assert_eq!(user, "AWS");
    assert_eq!(password, "123456789012-auth-token");
    assert_eq!(
        proxy,
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    );
    assert!(
        (expires - 1_420_070_400.0).abs() < f64::EPSILON,
        "{expires}"
    );
    let raw = moto.call_ok("GetAuthorizationToken", &json!({}));
    assert_eq!(
        raw["authorizationData"][0]["expiresAt"],
        json!(1_420_070_400_u64),
        "an integer: {raw}"
    );

    moto.create_repository("signed");
    // Any key, any signature; the credential scope's region picks the backend.
    let other_region = |action: &str| {
        ecr_raw(
            moto.url(),
            &[
                ("X-Amz-Target", &format!("{TARGET_PREFIX}.{action}")),
                ("Content-Type", AMZ_JSON),
                ("X-Amz-Date", DUMMY_AMZ_DATE),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAOTHERKEY/20261129/eu-west-1/ecr/aws4_request, \
                     SignedHeaders=host, Signature=not-a-signature",
                ),
            ],
            b"{}",
        )
    };
    let repos = other_region("DescribeRepositories");
    assert_eq!(repos.status, 200, "{}", repos.body_text());
    assert_eq!(repos.json()["repositories"], json!([]));
    let token = other_region("GetAuthorizationToken");
    let (_, _, proxy, _) = parse_authorization(&token.json());
    assert_eq!(
        proxy,
        "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    );

    // Without Authorization moto does not even route to ECR (it falls back to S3).
    let unsigned = ecr_raw(
        moto.url(),
        &[
            (
                "X-Amz-Target",
                &format!("{TARGET_PREFIX}.DescribeRepositories"),
            ),
            ("Content-Type", AMZ_JSON),
        ],
        b"{}",
    );
    assert_eq!(unsigned.status, 200);
    assert!(
        unsigned.body_text().contains("ListAllMyBucketsResult"),
        "{} {}",
        unsigned.status,
        unsigned.body_text()
    );

    let garbage = ecr_raw(
        moto.url(),
        &[
            (
                "X-Amz-Target",
                &format!("{TARGET_PREFIX}.DescribeRepositories"),
            ),
            ("Content-Type", AMZ_JSON),
            ("Authorization", "garbage"),
        ],
        b"{}",
    );
    assert_eq!(garbage.status, 500, "{}", garbage.body_text());

    // Error shape.
    let missing = moto.call("DescribeImages", &json!({ "repositoryName": "nope" }));
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("RepositoryNotFoundException")
    );
    let body = missing.json();
    assert_eq!(body["__type"], "RepositoryNotFoundException");
    assert_eq!(
        body["message"],
        "The repository with name 'nope' does not exist in the registry with id '123456789012'"
    );
    assert_eq!(body["Message"], body["message"]);
}

#[test]
#[allow(clippy::too_many_lines)] // one moto, every measured behaviour in turn
fn moto_ignores_paging_and_filters_and_keeps_lifecycle_policies() {
    let moto = Moto::start();
    moto.create_repository("a");
    moto.create_repository("b");
    let (one, _) = image_manifest("amd64");
    let (two, _) = image_manifest("arm64");
    let (one_digest, two_digest) = (sha256_digest(&one), sha256_digest(&two));
    moto.put_image("a", &one, OCI_MANIFEST, &one_digest, Some("one"));
    moto.put_image("a", &two, OCI_MANIFEST, &two_digest, None);
    // Not the digest of the bytes: kept anyway.
    let (three, _) = image_manifest("s390x");
    let wrong = format!("sha256:{}", "0".repeat(64));
    moto.put_image("a", &three, OCI_MANIFEST, &wrong, Some("three"));

    let page = moto.call_ok(
        "DescribeImages",
        &json!({ "repositoryName": "a", "maxResults": 1, "filter": { "tagStatus": "TAGGED" } }),
    );
    assert_eq!(page["imageDetails"].as_array().unwrap().len(), 3, "{page}");
    assert!(page.get("nextToken").is_none(), "{page}");
    assert_eq!(
        moto.describe_images("a")[2]["imageDigest"],
        wrong.as_str(),
        "moto keeps a digest that is not the bytes'"
    );

    let unknown = moto.call(
        "DescribeImages",
        &json!({ "repositoryName": "a", "imageIds": [{ "imageTag": "nope" }] }),
    );
    assert_eq!(unknown.status, 400);
    assert_eq!(error_type(&unknown), "ImageNotFoundException");

    let repos = moto.call_ok("DescribeRepositories", &json!({ "maxResults": 1 }));
    assert!(repos.get("nextToken").is_none(), "{repos}");
    assert!(repos.get("failures").is_none(), "{repos}");
    let repos = repos["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 2);
    let a = &repos[0];
    assert_eq!(a["repositoryName"], "a");
    assert_eq!(
        a["repositoryArn"],
        "arn:aws:ecr:us-east-1:123456789012:repository/a"
    );
    assert_eq!(
        a["repositoryUri"],
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/a"
    );
    assert_eq!(a["registryId"], ACCOUNT_ID);
    assert!(a["createdAt"].is_f64(), "{a}");
    assert_eq!(a["imageTagMutability"], "MUTABLE");
    assert_eq!(
        a["imageScanningConfiguration"],
        json!({ "scanOnPush": false })
    );
    assert_eq!(
        a["encryptionConfiguration"],
        json!({ "encryptionType": "AES256" })
    );

    // Lifecycle policies: not found, kept verbatim, validated.
    let none = moto.call("GetLifecyclePolicy", &json!({ "repositoryName": "a" }));
    assert_eq!(none.status, 400);
    assert_eq!(
        none.header("x-amzn-errortype"),
        Some("LifecyclePolicyNotFoundException")
    );
    assert_eq!(error_type(&none), "LifecyclePolicyNotFoundException");
    let policy = r#"{"rules":[{"rulePriority":1,"description":"expire untagged","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
    moto.put_lifecycle_policy("a", policy);
    let got = moto.call_ok("GetLifecyclePolicy", &json!({ "repositoryName": "a" }));
    assert_eq!(got["lifecyclePolicyText"], policy);
    assert_eq!(got["repositoryName"], "a");
    assert_eq!(got["registryId"], ACCOUNT_ID);
    assert!(got["lastEvaluatedAt"].is_u64(), "{got}");
    let bad = moto.call(
        "PutLifecyclePolicy",
        &json!({ "repositoryName": "a", "lifecyclePolicyText": r#"{"rules":[{}]}"# }),
    );
    assert_eq!(error_type(&bad), "InvalidParameterException");
    // moto never applies it: the untagged image is still there.
    assert_eq!(moto.describe_images("a").len(), 3);

    // BatchDeleteImage: an untagged image goes, but is not listed; a tagged one is.
    let deleted = moto.batch_delete_image("a", &two_digest);
    assert_eq!(deleted["imageIds"], json!([]));
    let deleted = moto.batch_delete_image("a", &one_digest);
    assert_eq!(
        deleted["imageIds"],
        json!([{ "imageDigest": one_digest, "imageTag": "one" }])
    );
    let left: Vec<Value> = moto
        .describe_images("a")
        .iter()
        .map(|d| d["imageDigest"].clone())
        .collect();
    assert_eq!(left, [json!(wrong)]);
}

/// Five images in `app/web` (one archived, two untagged) and one elsewhere.
fn fake_images() -> Vec<Value> {
    let mut images: Vec<Value> = (0..5u8)
        .map(|i| {
            let digest = format!("sha256:{}", format!("{i}").repeat(64));
            let tag = format!("v{i}");
            let tags: Vec<&str> = if i % 2 == 0 {
                vec![tag.as_str()]
            } else {
                vec![]
            };
            image_detail(
                "app/web",
                &digest,
                &tags,
                OCI_MANIFEST,
                1000 + u64::from(i),
                1_767_225_600.5 + f64::from(i),
            )
        })
        .collect();
    images[0]["artifactMediaType"] = json!(OCI_CONFIG);
    images[0]["lastRecordedPullTime"] = json!(1_767_312_000.25);
    images[0]["imageScanStatus"] =
        json!({ "status": "COMPLETE", "description": "The scan was completed successfully." });
    images[0]["imageScanFindingsSummary"] = json!({
        "imageScanCompletedAt": 1_767_225_700.0,
        "vulnerabilitySourceUpdatedAt": 1_767_200_000.0,
        "findingSeverityCounts": { "CRITICAL": 1, "HIGH": 2 }
    });
    images[1]["subjectManifestDigest"] = json!(images[0]["imageDigest"]);
    images[3]["imageStatus"] = json!("ARCHIVED");
    images.push(image_detail(
        "other",
        &format!("sha256:{}", "f".repeat(64)),
        &["latest"],
        OCI_INDEX,
        42,
        1_767_225_600.0,
    ));
    images
}

fn describe(url: &str, body: &Value) -> Value {
    ecr_call_ok(url, "DescribeImages", body)
}

#[test]
fn fake_pages_describe_images_with_next_token_and_filters() {
    let images = fake_images();
    let fake = FakeEcrApi::builder()
        .images(images.clone())
        .page_size(2)
        .start();
    let url = fake.url();
    let everything = json!({ "repositoryName": "app/web", "filter": { "imageStatus": "ANY" } });

    // maxResults 1000 still pages by 2: the client has to follow nextToken.
    let mut pages = Vec::new();
    let mut body = everything.clone();
    body["maxResults"] = json!(1000);
    loop {
        let page = describe(url, &body);
        pages.push(page["imageDetails"].as_array().unwrap().clone());
        match page.get("nextToken") {
            Some(token) => body["nextToken"] = token.clone(),
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    // Verbatim, in order, every documented field kept.
    assert_eq!(pages.concat(), images[..5].to_vec());

    let first = describe(url, &everything);
    let token = first["nextToken"].clone();
    assert!(token.is_string());
    // A token is bound to its repository and filter; a made-up one is refused.
    for bad in [
        json!({ "repositoryName": "other", "nextToken": token }),
        json!({ "repositoryName": "app/web", "nextToken": token }),
        json!({ "repositoryName": "app/web", "nextToken": "bm90LWEtdG9rZW4=" }),
        json!({ "repositoryName": "app/web", "maxResults": 0 }),
        json!({ "repositoryName": "app/web", "maxResults": 1, "imageIds": [{ "imageTag": "v0" }] }),
    ] {
        let resp = ecr_call(url, "DescribeImages", &bad);
        assert_eq!(resp.status, 400, "{bad}: {}", resp.body_text());
        assert_eq!(error_type(&resp), "InvalidParameterException", "{bad}");
    }

    let one = describe(
        url,
        &json!({ "repositoryName": "app/web", "maxResults": 1 }),
    );
    assert_eq!(one["imageDetails"].as_array().unwrap().len(), 1);
    assert!(one["nextToken"].is_string());

    let digests = |answer: &Value| -> Vec<String> {
        answer["imageDetails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["imageDigest"].as_str().unwrap()[7..8].to_owned())
            .collect()
    };
    // Default: ACTIVE only (image 3 is archived). Pages of 2 again, so ask per page.
    let mut active = Vec::new();
    let mut body = json!({ "repositoryName": "app/web" });
    loop {
        let page = describe(url, &body);
        active.extend(digests(&page));
        match page.get("nextToken") {
            Some(token) => body["nextToken"] = token.clone(),
            None => break,
        }
    }
    assert_eq!(active, ["0", "1", "2", "4"]);
    let untagged = describe(
        url,
        &json!({ "repositoryName": "app/web", "filter": { "tagStatus": "UNTAGGED", "imageStatus": "ANY" } }),
    );
    assert_eq!(digests(&untagged), ["1", "3"]);
    let archived = describe(
        url,
        &json!({ "repositoryName": "app/web", "filter": { "imageStatus": "ARCHIVED" } }),
    );
    assert_eq!(digests(&archived), ["3"]);

    let by_tag = describe(
        url,
        &json!({ "repositoryName": "app/web", "imageIds": [{ "imageTag": "v4" }, { "imageDigest": images[1]["imageDigest"] }] }),
    );
    assert_eq!(digests(&by_tag), ["4", "1"]);
    let missing = ecr_call(
        url,
        "DescribeImages",
        &json!({ "repositoryName": "app/web", "imageIds": [{ "imageTag": "v1" }] }),
    );
    assert_eq!(error_type(&missing), "ImageNotFoundException");
    let no_repo = ecr_call(url, "DescribeImages", &json!({ "repositoryName": "nope" }));
    assert_eq!(no_repo.status, 400);
    assert_eq!(
        no_repo.header("x-amzn-errortype"),
        Some("RepositoryNotFoundException")
    );

    assert!(fake.actions().iter().all(|a| a == "DescribeImages"));
    assert_eq!(fake.requests()[0].region.as_deref(), Some("us-east-1"));
    fake.assert_read_only();
}

#[test]
fn fake_repositories_lifecycle_policy_and_authorization_token() {
    let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
    let fake = FakeEcrApi::builder()
        .repository("empty")
        .images(fake_images())
        .page_size(1)
        .lifecycle_policy("app/web", policy)
        .authorization("s3cret", 1_900_000_000.5)
        .proxy_endpoint("http://127.0.0.1:5000")
        .start();
    let url = fake.url();

    let mut names = Vec::new();
    let mut body = json!({});
    loop {
        let page = ecr_call_ok(url, "DescribeRepositories", &body);
        let repos = page["repositories"].as_array().unwrap();
        assert_eq!(repos.len(), 1);
        names.push(repos[0]["repositoryName"].as_str().unwrap().to_owned());
        match page.get("nextToken") {
            Some(token) => body["nextToken"] = token.clone(),
            None => break,
        }
    }
    assert_eq!(names, ["empty", "app/web", "other"]);
    let named = ecr_call_ok(
        url,
        "DescribeRepositories",
        &json!({ "repositoryNames": ["other"] }),
    );
    let other = &named["repositories"][0];
    assert_eq!(
        other["repositoryUri"],
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/other"
    );
    assert_eq!(
        other["repositoryArn"],
        "arn:aws:ecr:us-east-1:123456789012:repository/other"
    );
    let nope = ecr_call(
        url,
        "DescribeRepositories",
        &json!({ "repositoryNames": ["nope"] }),
    );
    assert_eq!(error_type(&nope), "RepositoryNotFoundException");

    let got = ecr_call_ok(
        url,
        "GetLifecyclePolicy",
        &json!({ "repositoryName": "app/web" }),
    );
    assert_eq!(got["lifecyclePolicyText"], policy);
    assert_eq!(got["registryId"], ACCOUNT_ID);
    let none = ecr_call(
        url,
        "GetLifecyclePolicy",
        &json!({ "repositoryName": "empty" }),
    );
    assert_eq!(none.status, 400);
    assert_eq!(
        none.header("x-amzn-errortype"),
        Some("LifecyclePolicyNotFoundException")
    );
    assert_eq!(
        none.json(),
        json!({
            "__type": "LifecyclePolicyNotFoundException",
            "message": "Lifecycle policy does not exist for the repository with name 'empty' \
                        in the registry with id '123456789012'"
        })
    );

    let token = ecr_call_ok(url, "GetAuthorizationToken", &json!({}));
    assert_eq!(
        parse_authorization(&token),
        (
            "AWS".to_owned(),
            "s3cret".to_owned(),
            "http://127.0.0.1:5000".to_owned(),
            1_900_000_000.5
        )
    );
    assert_eq!(fake.proxy_endpoint(), "http://127.0.0.1:5000");

    let write = ecr_call(url, "PutImage", &json!({ "repositoryName": "app/web" }));
    assert_eq!(write.status, 400);
    assert_eq!(error_type(&write), "UnknownOperationException");
    assert_eq!(fake.actions().last().map(String::as_str), Some("PutImage"));
    assert!(std::panic::catch_unwind(AssertUnwindSafe(|| fake.assert_read_only())).is_err());
}

#[test]
fn read_only_actions_are_describe_list_get_and_batch_get_image() {
    for read in [
        "DescribeImages",
        "ListImages",
        "GetLifecyclePolicy",
        "GetAuthorizationToken",
        "BatchGetImage",
    ] {
        assert!(is_read_only_action(read), "{read}");
    }
    for write in [
        "PutImage",
        "BatchDeleteImage",
        "DeleteRepository",
        "PutLifecyclePolicy",
        "StartImageScan",
        "InitiateLayerUpload",
    ] {
        assert!(!is_read_only_action(write), "{write}");
    }
}

#[test]
fn fake_refuses_unsigned_requests_and_the_recorder_fronts_it() {
    let fake = FakeEcrApi::start(fake_images());
    let target = format!("{TARGET_PREFIX}.DescribeRepositories");

    let unsigned = ecr_raw(
        fake.url(),
        &[("X-Amz-Target", &target), ("Content-Type", AMZ_JSON)],
        b"{}",
    );
    assert_eq!(unsigned.status, 403);
    assert_eq!(error_type(&unsigned), "MissingAuthenticationTokenException");
    let bearer = ecr_raw(
        fake.url(),
        &[
            ("X-Amz-Target", &target),
            ("Content-Type", AMZ_JSON),
            ("X-Amz-Date", DUMMY_AMZ_DATE),
            ("Authorization", "Bearer abc"),
        ],
        b"{}",
    );
    assert_eq!(bearer.status, 403);
    assert_eq!(error_type(&bearer), "IncompleteSignatureException");
    let unsigned_ok = FakeEcrApi::builder().allow_unsigned().start();
    let resp = ecr_raw(
        unsigned_ok.url(),
        &[("X-Amz-Target", &target), ("Content-Type", AMZ_JSON)],
        b"{}",
    );
    assert_eq!(resp.status, 200, "{}", resp.body_text());

    let recorder = EcrRecorder::start(fake.url());
    let images = ecr_call_ok(
        recorder.url(),
        "DescribeImages",
        &json!({ "repositoryName": "other" }),
    );
    assert_eq!(images["imageDetails"][0]["imageTags"], json!(["latest"]));
    // Errors pass through unchanged.
    let missing = ecr_call(
        recorder.url(),
        "GetLifecyclePolicy",
        &json!({ "repositoryName": "other" }),
    );
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("LifecyclePolicyNotFoundException")
    );
    assert_eq!(recorder.actions(), ["DescribeImages", "GetLifecyclePolicy"]);
    let seen: Vec<String> = fake.actions().into_iter().skip(2).collect();
    assert_eq!(seen, recorder.actions());

    // Over the body cap: 413, recorded without its body, not forwarded.
    let big = vec![b' '; RECORDER_MAX_BODY + 1];
    let resp = ecr_raw(
        recorder.url(),
        &[("X-Amz-Target", &target), ("Content-Type", AMZ_JSON)],
        &big,
    );
    assert_eq!(resp.status, 413);
    let last = recorder.requests().pop().unwrap();
    assert_eq!(last.action.as_deref(), Some("DescribeRepositories"));
    assert!(last.body.is_empty());
    assert_eq!(fake.requests().len(), 4);
    recorder.clear();
    assert!(recorder.actions().is_empty());
}
