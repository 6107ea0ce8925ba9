// HullImages: the OCI image store (ImageStore), image loading (ImageLoader), layer
// unpacking (LayerUnpacker, via umoci) and cached rootfs disks and unpacked trees (RootfsCache).
// It knows nothing about VMs and depends on no other Hull module (docs/architecture.md).
