//! Defaults inside a PodSpec: the ones every PodSpec gets (Pods and pod templates alike) and the
//! Pod-only ones (`SetDefaults_Pod`), which upstream deliberately keeps out of templates.

use super::{
    canonicalize_list, canonicalize_quantity, canonicalize_requirements, image_pull_policy_for,
};
use crate::quantity::QuantityError;
use k8s_openapi::api::core::v1::{
    Container, HTTPGetAction, LifecycleHandler, ObjectFieldSelector, PodSpec, PodTemplateSpec,
    Probe, Volume,
};

/// `SetDefaults_Pod`: requests copied from limits, `enableServiceLinks`, host-network ports.
pub(super) fn set_pod_only_defaults(spec: &mut PodSpec) {
    let all = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for c in all {
        if let Some(r) = c.resources.as_mut() {
            if let Some(limits) = r.limits.as_ref() {
                let requests = r.requests.get_or_insert_with(Default::default);
                for (k, v) in limits {
                    requests.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    spec.enable_service_links.get_or_insert(true);
    if spec.host_network == Some(true) {
        let all = spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten());
        for port in all.flat_map(|c| c.ports.iter_mut().flatten()) {
            if port.host_port.unwrap_or(0) == 0 {
                port.host_port = Some(port.container_port);
            }
        }
    }
}

/// The defaults of a pod template: everything a PodSpec gets, none of the Pod-only ones.
pub(super) fn set_template_defaults(t: &mut PodTemplateSpec) -> Result<(), QuantityError> {
    set_pod_spec_defaults(t.spec.get_or_insert_with(Default::default))
}

/// `SetDefaults_PodSpec` and the generated walk over volumes and containers.
pub(super) fn set_pod_spec_defaults(spec: &mut PodSpec) -> Result<(), QuantityError> {
    if spec.dns_policy.as_deref().unwrap_or("").is_empty() {
        spec.dns_policy = Some("ClusterFirst".into());
    }
    if spec.restart_policy.as_deref().unwrap_or("").is_empty() {
        spec.restart_policy = Some("Always".into());
    }
    spec.security_context.get_or_insert_with(Default::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    if spec.scheduler_name.as_deref().unwrap_or("").is_empty() {
        spec.scheduler_name = Some("default-scheduler".into());
    }
    for v in spec.volumes.iter_mut().flatten() {
        set_volume_defaults(v)?;
    }
    for c in spec.init_containers.iter_mut().flatten() {
        set_container_defaults(c)?;
    }
    for c in spec.containers.iter_mut() {
        set_container_defaults(c)?;
    }
    for ec in spec.ephemeral_containers.iter_mut().flatten() {
        // The same defaults as a container; the types only differ in `targetContainerName`.
        let target = ec.target_container_name.take();
        let mut c: Container = match serde_json::to_value(&*ec).and_then(serde_json::from_value) {
            Ok(c) => c,
            Err(_) => continue,
        };
        set_container_defaults(&mut c)?;
        if let Ok(mut back) = serde_json::to_value(&c)
            .and_then(serde_json::from_value::<k8s_openapi::api::core::v1::EphemeralContainer>)
        {
            back.target_container_name = target;
            *ec = back;
        } else {
            ec.target_container_name = target;
        }
    }
    canonicalize_list(&mut spec.overhead)?;
    if let Some(r) = spec.resources.as_mut() {
        canonicalize_list(&mut r.limits)?;
        canonicalize_list(&mut r.requests)?;
    }
    Ok(())
}

fn set_volume_defaults(v: &mut Volume) -> Result<(), QuantityError> {
    let has_source = crate::apiserver::validation::volumes::volume_sources(v)
        .next()
        .is_some();
    if !has_source {
        v.empty_dir = Some(Default::default());
    }
    if let Some(ed) = v.empty_dir.as_mut() {
        if let Some(q) = ed.size_limit.as_mut() {
            canonicalize_quantity(q)?;
        }
    }
    if let Some(hp) = v.host_path.as_mut() {
        hp.type_.get_or_insert_with(String::new);
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(0o644);
    }
    if let Some(d) = v.downward_api.as_mut() {
        d.default_mode.get_or_insert(0o644);
        for item in d.items.iter_mut().flatten() {
            if let Some(f) = item.field_ref.as_mut() {
                set_field_ref_defaults(f);
            }
        }
    }
    if let Some(c) = v.config_map.as_mut() {
        c.default_mode.get_or_insert(0o644);
    }
    if let Some(p) = v.projected.as_mut() {
        p.default_mode.get_or_insert(0o644);
        for src in p.sources.iter_mut().flatten() {
            if let Some(d) = src.downward_api.as_mut() {
                for item in d.items.iter_mut().flatten() {
                    if let Some(f) = item.field_ref.as_mut() {
                        set_field_ref_defaults(f);
                    }
                }
            }
            if let Some(t) = src.service_account_token.as_mut() {
                t.expiration_seconds.get_or_insert(3600);
            }
        }
    }
    if let Some(rbd) = v.rbd.as_mut() {
        rbd.pool.get_or_insert_with(|| "rbd".into());
        rbd.user.get_or_insert_with(|| "admin".into());
        rbd.keyring
            .get_or_insert_with(|| "/etc/ceph/keyring".into());
    }
    if let Some(iscsi) = v.iscsi.as_mut() {
        iscsi
            .iscsi_interface
            .get_or_insert_with(|| "default".into());
    }
    if let Some(az) = v.azure_disk.as_mut() {
        az.caching_mode.get_or_insert_with(|| "ReadWrite".into());
        az.kind.get_or_insert_with(|| "Shared".into());
        az.fs_type.get_or_insert_with(|| "ext4".into());
        az.read_only.get_or_insert(false);
    }
    if let Some(eph) = v.ephemeral.as_mut() {
        if let Some(t) = eph.volume_claim_template.as_mut() {
            t.spec
                .volume_mode
                .get_or_insert_with(|| "Filesystem".into());
            if let Some(r) = t.spec.resources.as_mut() {
                canonicalize_list(&mut r.limits)?;
                canonicalize_list(&mut r.requests)?;
            }
        }
    }
    if let Some(img) = v.image.as_mut() {
        if img.pull_policy.as_deref().unwrap_or("").is_empty() {
            let reference = img.reference.clone().unwrap_or_default();
            img.pull_policy = Some(image_pull_policy_for(&reference).into());
        }
    }
    Ok(())
}

fn set_field_ref_defaults(f: &mut ObjectFieldSelector) {
    if f.api_version.as_deref().unwrap_or("").is_empty() {
        f.api_version = Some("v1".into());
    }
}

/// `SetDefaults_Container` and what the generated walker does inside a container.
fn set_container_defaults(c: &mut Container) -> Result<(), QuantityError> {
    if c.image_pull_policy.as_deref().unwrap_or("").is_empty() {
        let image = c.image.as_deref().unwrap_or("");
        c.image_pull_policy = Some(image_pull_policy_for(image).into());
    }
    if c.termination_message_path
        .as_deref()
        .unwrap_or("")
        .is_empty()
    {
        c.termination_message_path = Some("/dev/termination-log".into());
    }
    if c.termination_message_policy
        .as_deref()
        .unwrap_or("")
        .is_empty()
    {
        c.termination_message_policy = Some("File".into());
    }
    for port in c.ports.iter_mut().flatten() {
        if port.protocol.as_deref().unwrap_or("").is_empty() {
            port.protocol = Some("TCP".into());
        }
    }
    for env in c.env.iter_mut().flatten() {
        if let Some(f) = env.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            set_field_ref_defaults(f);
        }
    }
    // Go always serialises the (non-pointer) resources struct, so a stored container shows `{}`.
    canonicalize_requirements(&mut c.resources)?;
    for probe in [
        &mut c.liveness_probe,
        &mut c.readiness_probe,
        &mut c.startup_probe,
    ]
    .into_iter()
    .flatten()
    {
        set_probe_defaults(probe);
    }
    if let Some(lc) = c.lifecycle.as_mut() {
        for h in [&mut lc.post_start, &mut lc.pre_stop].into_iter().flatten() {
            set_handler_defaults(h);
        }
    }
    Ok(())
}

fn set_probe_defaults(p: &mut Probe) {
    for (field, default) in [
        (&mut p.timeout_seconds, 1),
        (&mut p.period_seconds, 10),
        (&mut p.success_threshold, 1),
        (&mut p.failure_threshold, 3),
    ] {
        if field.unwrap_or(0) == 0 {
            *field = Some(default);
        }
    }
    if let Some(h) = p.http_get.as_mut() {
        set_http_get_defaults(h);
    }
    if let Some(g) = p.grpc.as_mut() {
        // `+default=""` on GRPCAction.service.
        g.service.get_or_insert_with(String::new);
    }
}

fn set_handler_defaults(h: &mut LifecycleHandler) {
    if let Some(g) = h.http_get.as_mut() {
        set_http_get_defaults(g);
    }
}

fn set_http_get_defaults(h: &mut HTTPGetAction) {
    if h.path.as_deref().unwrap_or("").is_empty() {
        h.path = Some("/".into());
    }
    if h.scheme.as_deref().unwrap_or("").is_empty() {
        h.scheme = Some("HTTP".into());
    }
}
