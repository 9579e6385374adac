"""Voicemails: from Twilio's report to a transcribed, tagged ticket."""
