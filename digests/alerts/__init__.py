"""SLA-spike alerts on the clock: detect.py and episode.py decide (pure); check.py does one pass's I/O; cli.py is
`lexer-bot alerts check`. Nothing is re-exported here, so importing the pure modules loads no I/O library."""
