# authentik: Customization → Property Mappings → Create → Webhook Mapping, name "idp-sync auth".
# authentik signs nothing, so this header carries the secret the gateway checks
# (IDP_SYNC_AUTHENTIK_SECRET). Replace the placeholder with that secret.
return {"Authorization": "Bearer REPLACE-WITH-IDP_SYNC_AUTHENTIK_SECRET"}
