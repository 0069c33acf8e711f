"""What a teacher takes away from a journey: the frames the taps saw as a pcapng file, the JSON
trace, the packet-tracer summary as text, and where such files go. No UI here: the explorer's keys
and the `trace` verb's flags both call these functions."""
