import BundleBuilder
import LinuxSystem
import RuntimeBase

/// Materialises a plan's `EtcView` in the bundle: `<bundle>/etc` (root, 0755) with the generated files copied in
/// (0644) and one symlink for every other entry of the source `/etc`, taken when the container is launched.
enum EtcViewWriter {
    static func write(_ view: EtcView, system: any System) throws(RuntimeError) {
        let directory = view.directory.value
        try system.makeDirectory(directory, mode: 0o755, owner: (0, 0), code: .runcSetupFailed)
        for (name, source) in view.files.sorted(by: { $0.key < $1.key }) {
            let bytes = try system.readFile(source.value, maxBytes: 1 << 20, code: .runcSetupFailed)
            try system.createFile(directory + "/" + name, bytes, mode: 0o644, owner: (0, 0), code: .runcSetupFailed)
        }
        guard let source = view.source else { return }
        for name in try system.listDirectory(source.value, code: .runcSetupFailed).sorted() where view.files[name] == nil {
            let entry = source.value + "/" + name
            // A symlink is copied as it is, so that /etc/localtime still names its zone and relative links resolve as
            // on the host; anything else is reached through the read-only mount of the source.
            let target: String
            if let status = try system.fileStatus(entry, code: .runcSetupFailed), status.kind == .symlink, let link = system.readSymlink(entry) {
                target = link
            } else {
                target = view.sourceMount + "/" + name
            }
            try system.createSymlink(target, at: directory + "/" + name, code: .runcSetupFailed)
        }
    }
}
