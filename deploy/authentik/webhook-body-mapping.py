# authentik: Customization → Property Mappings → Create → Webhook Mapping, name "idp-sync body".
# What idp-sync reads: the event's uuid, action, time and the model it is about.
event = notification.event
return {
    "event_uuid": str(event.pk),
    "action": event.action,
    "app": event.app,
    "created": event.created.isoformat(),
    "model": event.context.get("model"),
    "diff": event.context.get("diff"),
}
