import LinuxSystem
import RuntimeBase
import YarnContract

/// The runc runtime's image: squashfs layers mounted read-only (per container), an overlay on top with a
/// per-container upper dir. Everything lives under `<container dir>/image` and is unmounted when the container
/// ends; the state-dir removal refuses to cross a mount, so a failed unmount can never delete image contents.
struct ImageMounts {
    let system: any System
    let directory: AbsolutePath

    init(system: any System, containerDirectory: AbsolutePath) throws(RuntimeError) {
        self.system = system
        directory = try containerDirectory.appending("image")
    }

    var rootfs: AbsolutePath { get throws(RuntimeError) { try directory.appending("rootfs") } }

    func mount(_ layers: [AbsolutePath], user: UserRecord) throws(RuntimeError) -> AbsolutePath {
        let code = ExitCode.runcRunFailed
        for name in ["", "upper", "work", "rootfs"] {
            let path = name.isEmpty ? directory : try directory.appending(name)
            try system.makeDirectory(path.value, mode: name == "upper" ? 0o755 : 0o700, owner: (0, 0), code: code)
        }
        var lowers: [String] = []
        for (index, layer) in layers.enumerated() {
            let mountpoint = try directory.appending("layer-\(index)")
            try system.makeDirectory(mountpoint.value, mode: 0o700, owner: (0, 0), code: code)
            try system.mountSquashfs(layer.value, at: mountpoint.value, openAs: (user.uid, user.gid, user.groups), code: code)
            lowers.insert(mountpoint.value, at: 0)   // overlay wants the topmost layer first
        }
        try system.mountOverlay(lowers: lowers, upper: try directory.appending("upper").value,
                                work: try directory.appending("work").value, at: try rootfs.value, code: code)
        return try rootfs
    }

    /// Unmounts the overlay, then every layer; tolerant of what was never mounted.
    func unmount(layerCount: Int) throws(RuntimeError) {
        guard try system.fileStatus(directory.value) != nil else { return }
        try system.unmount(try rootfs.value)
        for index in 0..<layerCount { try system.unmount(try directory.appending("layer-\(index)").value) }
    }
}
