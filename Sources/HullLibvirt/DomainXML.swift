/// Renders a `DomainSpec` as libvirt domain XML.
///
/// The shape is the smallest that boots Hull's guests quickly under TCG: direct kernel
/// boot, no firmware menu, no USB, no graphics or video, no balloon, and every exit
/// (poweroff, reboot, crash) ends the domain, so a guest that panics (`panic=-1`
/// reboots) disappears instead of looping.
public enum DomainXML {
    public static func render(_ spec: DomainSpec) -> String {
        let e = XMLText.escape
        var x: [String] = []
        x.append("<domain type='\(spec.domainType.rawValue)'>")
        x.append("  <name>\(e(spec.name))</name>")
        if let uuid = spec.uuid {
            x.append("  <uuid>\(uuid.uuidString.lowercased())</uuid>")
        }
        if let id = spec.containerID {
            x.append("  <metadata>")
            x.append("    " + HullMetadata.element(containerID: id))
            x.append("  </metadata>")
        }
        x.append("  <memory unit='MiB'>\(spec.memoryMiB)</memory>")
        if !spec.filesystems.isEmpty {
            // virtio-fs: virtiofsd maps the guest's memory, so it must be shareable.
            x.append("  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>")
        }
        x.append("  <vcpu>\(spec.vcpus)</vcpu>")
        x.append("  <os>")
        x.append("    <type arch='\(e(spec.architecture))' machine='\(spec.machine.rawValue)'>hvm</type>")
        x.append("    <kernel>\(e(spec.kernel))</kernel>")
        if let initrd = spec.initrd {
            x.append("    <initrd>\(e(initrd))</initrd>")
        }
        if !spec.cmdline.isEmpty {
            x.append("    <cmdline>\(e(spec.cmdline))</cmdline>")
        }
        x.append("  </os>")
        x.append("  <features><acpi/></features>")
        if let mode = spec.effectiveCPUMode {
            x.append("  <cpu mode='\(mode.rawValue)'/>")
        }
        x.append("  <clock offset='utc'/>")
        x.append("  <on_poweroff>destroy</on_poweroff>")
        x.append("  <on_reboot>destroy</on_reboot>")
        x.append("  <on_crash>destroy</on_crash>")
        x.append("  <devices>")
        for disk in spec.disks {
            x.append("    <disk type='file' device='disk'>")
            let cache = disk.cache.map { " cache='\($0.rawValue)'" } ?? ""
            x.append("      <driver name='qemu' type='\(disk.format.rawValue)'\(cache)/>")
            x.append("      <source file='\(e(disk.path))'/>")
            x.append("      <target dev='\(e(disk.targetDevice))' bus='\(disk.bus.rawValue)'/>")
            if disk.readOnly { x.append("      <readonly/>") }
            x.append("    </disk>")
        }
        // libvirt adds a USB controller (and a tablet for it) unless told not to.
        x.append("    <controller type='usb' model='none'/>")
        if let log = spec.consoleLogPath {
            x.append("    <serial type='file'><source path='\(e(log))'/><target port='0'/></serial>")
        }
        switch spec.controlChannel {
        case .virtioSerial(let socketPath, let name):
            x.append("    <channel type='unix'><source mode='bind' path='\(e(socketPath))'/><target type='virtio' name='\(e(name))'/></channel>")
        case .vsock(let cid?):
            x.append("    <vsock model='virtio'><cid auto='no' address='\(cid)'/></vsock>")
        case .vsock(nil):
            x.append("    <vsock model='virtio'><cid auto='yes'/></vsock>")
        case nil:
            break
        }
        for fs in spec.filesystems {
            x.append("    <filesystem type='mount'>")
            x.append("      <driver type='virtiofs' queue='1024'/>")
            x.append("      <source socket='\(e(fs.socketPath))'/>")
            x.append("      <target dir='\(e(fs.tag))'/>")
            x.append("    </filesystem>")
        }
        for nic in spec.interfaces {
            switch nic.source {
            case .directPassthrough(let device):
                x.append("    <interface type='direct'>")
                x.append("      <source dev='\(e(device))' mode='passthrough'/>")
            }
            x.append("      <mac address='\(e(nic.mac.lowercased()))'/>")
            x.append("      <model type='virtio'/>")
            x.append("    </interface>")
        }
        x.append("    <memballoon model='none'/>")
        x.append("  </devices>")
        if let account = spec.qemuAccount {
            x.append("  <seclabel type='static' model='dac' relabel='no'><label>+\(account.uid):+\(account.gid)</label></seclabel>")
        }
        x.append("</domain>")
        return x.joined(separator: "\n") + "\n"
    }
}
