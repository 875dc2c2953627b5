"""Supervision of a round: its supervisory board reads the round's audit trail and writes its
own report (issue 13 item 7)."""
