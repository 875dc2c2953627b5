"""The bodies of a round (the Council, its boards, the supervisory board), their members and
the Council's meetings. Sits between rounds and candidates: it imports no candidate code;
candidates register their own check on new members (``exam/council/checks.py``)."""
