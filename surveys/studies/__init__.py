"""Surveys as the app runs them: services that change a study, and the respondent's write path.

``service`` and ``editing`` change surveys, waves, places and policy events (each change audited
and committed by the service); ``events`` turns policy events into treatment timing;
``snapshot`` is the per-worker copy the respondent pages read; ``submission`` stores a response
sealed in the buffer and ``write_out`` moves buffered responses to the final tables in shuffled
batches; ``invites``, ``quality``, ``sealing``, ``trust`` and ``records`` are the pieces they use.
``test_submissions`` stores a researcher's preview answers apart from responses (it is not a test).
"""
