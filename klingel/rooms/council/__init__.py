"""Council-session mode: municipal council and committee meetings held by video or hybrid
(BW GemO § 37a, ThürKO § 36a, NRW GO § 47a with the DigiSiVO, BayGO Art. 47a).

Pure domain state with the clock passed in as float seconds: the roster of a body, the
agenda, attendance with picture-and-sound counting, the speaker list, votes, bias marks and
the event log the minutes are drawn from. Nothing here touches a socket; the hub wires it
to them.

The law points cited in these modules are second-hand readings of the statutes: the texts
must be checked against the official law and the town's Hauptsatzung and Geschäftsordnung
before anyone claims compliance.
"""
