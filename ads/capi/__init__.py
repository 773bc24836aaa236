"""The Conversions API side of ads signals: customer information normalised and hashed as Meta
specifies (`userdata`), and the one rule for event ids that lets Meta deduplicate a browser
event against its server copy (`event_ids`)."""
