/// Placeholder; the probe is being written.
public enum TLSProbe {}
