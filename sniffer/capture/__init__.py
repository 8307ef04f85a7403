"""Capture sources: pcap, pcapng, gzip, stdin and live interfaces, as streams of frames."""
