import HadoopConfig
import RuntimeBase
import YarnContract

extension NetworkMode {
    /// The mode for one container: the launch context's request (if allowed) or the configured mode. Without one,
    /// the safer choice the node allows: `routed` for every sandbox once a range is configured (tenants apart,
    /// NodeManager ports closed); without a range `host`, and `none` for Kata, whose VM cannot share the host's.
    /// `none` (no sandbox) always has the node's network.
    public static func resolve(runtime: String, requested: String?, settings: NetworkSettings) throws(RuntimeError) -> NetworkMode {
        var fallback: NetworkMode = settings.range != nil ? .routed : (runtime == "kata" ? .none : .host)
        if runtime == "none" { fallback = .host }
        let configured = settings.mode ?? fallback
        var mode = configured
        if let requested, !requested.isEmpty, requested != "default" {
            guard let asked = NetworkMode(rawValue: requested) else {
                throw RuntimeError(.invalidArgumentNumber, "unknown network mode requested: \(Redact.short(requested))")
            }
            guard asked == configured || settings.allowedModes.contains(asked) else {
                throw RuntimeError(.invalidArgumentNumber, "network \(requested) is not allowed by [kata] network.allowed")
            }
            mode = asked
        }
        if mode != .host, runtime == "none" {
            throw RuntimeError(.runcSetupFailed, "runtime none runs on the host: it has no network of its own (network \(mode.rawValue) needs a sandbox)")
        }
        if mode == .host, runtime == "kata" {
            throw RuntimeError(.runcSetupFailed, "a Kata VM cannot share the host's network namespace: set [kata] network=routed and network.range")
        }
        if mode == .routed, settings.range == nil {
            throw RuntimeError(.invalidConfigFile, "network=routed needs [kata] network.range")
        }
        return mode
    }
}
