"""The /lexer command path, one direction: queue (the web side acks and writes the durable line) -> dispatcher,
pool, in_process (the workers) -> answer (parse, fetch, build: no Slack I/O) -> reply (response_url / chat).

The workers import answer and reply, never a listener; the feature handlers come in through the runner,
injected by the composition root (bot/compose.py).
"""
