/// ttrpc: the framing and unary-call client that containerd shims speak (see ShimV2Driver).
public enum TTRPC {}
