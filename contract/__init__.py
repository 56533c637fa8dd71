"""What edge and rules both speak: errors and their messages, the caller, input validation."""
