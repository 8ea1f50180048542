import LinuxSystem
import RuntimeBase
import YarnContract

/// The end of a log in the container's state directory, one line, for an error message: the directory goes with
/// the failed launch's clean-up, so what the operator needs from it must travel in the message.
enum LogTail {
    static func read(_ path: AbsolutePath, system: any System, bytes: Int = 400) -> String? {
        guard let content = try? system.readFile(path.value, maxBytes: 1 << 20, code: .generalFailure), !content.isEmpty else { return nil }
        return String(decoding: content.suffix(bytes), as: UTF8.self).split(separator: "\n").joined(separator: "; ")
    }
}
