"""What every French email's HTML starts with: a phone viewport, a readable width, the
greeting; each email's own words follow it (its `{subject}` and `{name}` filled in)."""

HTML_OPENING = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{subject}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; color: #1f2933; line-height: 1.5;
max-width: 36rem; margin: 0 auto; padding: 0 12px;">
<p>Bonjour {name},</p>
"""
