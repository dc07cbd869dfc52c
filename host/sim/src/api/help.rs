//! `help.*`: the configuration that tells the client where every simulated DC listens.

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr};

pub fn get_config(ctx: &CallCtx, _: tl::functions::help::GetConfig) -> Result<tl::enums::Config, RpcErr> {
    let now = crate::world::now();
    // Only loopback options, all static: grammers writes static options back into its session.
    let dc_options = ctx
        .shared
        .dcs
        .iter()
        .map(|(id, addr)| {
            tl::types::DcOption {
                ipv6: false,
                media_only: false,
                tcpo_only: false,
                cdn: false,
                r#static: true,
                this_port_only: true,
                id: *id,
                ip_address: addr.ip().to_string(),
                port: addr.port() as i32,
                secret: None,
            }
            .into()
        })
        .collect();
    Ok(tl::types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now + 3600,
        test_mode: false,
        this_dc: ctx.dc,
        dc_options,
        dc_txt_domain_name: "localhost".into(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: 4,
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    }
    .into())
}

pub fn get_nearest_dc(ctx: &CallCtx, _: tl::functions::help::GetNearestDc) -> Result<tl::enums::NearestDc, RpcErr> {
    Ok(tl::types::NearestDc { country: "XX".into(), this_dc: ctx.dc, nearest_dc: ctx.dc }.into())
}
