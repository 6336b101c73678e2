package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// residentSplit is how much of a binary's file mapping is resident, per
// ELF section group, in KiB: the kernel maps file pages around each fault
// (64 KiB on this kernel), so code and tables a process touches anywhere
// in a region make the whole region resident.
type residentSplit struct{ text, rodata, pclntab, data int64 }

func (r residentSplit) String() string {
	if r == (residentSplit{}) {
		return "not readable here"
	}
	return fmt.Sprintf("text %.1f, rodata %.1f, pclntab %.1f, data %.1f", mibOf(r.text), mibOf(r.rodata), mibOf(r.pclntab), mibOf(r.data))
}

func mibOf(kib int64) float64 { return float64(kib) / 1024 }

// resident reads /proc/PID/maps and pagemap (present bits only, which need
// no privilege) for the mappings of bin.
func resident(pid int, bin string) (residentSplit, error) {
	var out residentSplit
	path, err := filepath.Abs(bin)
	if err == nil {
		path, err = filepath.EvalSymlinks(path)
	}
	if err != nil {
		return out, fmt.Errorf("resident: %w", err)
	}
	f, err := elf.Open(path)
	if err != nil {
		return out, fmt.Errorf("resident: %w", err)
	}
	defer f.Close()
	maps, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return out, fmt.Errorf("resident: %w", err)
	}
	defer maps.Close()
	pm, err := os.Open("/proc/" + strconv.Itoa(pid) + "/pagemap")
	if err != nil {
		return out, fmt.Errorf("resident: %w", err)
	}
	defer pm.Close()
	sc := bufio.NewScanner(maps)
	entry := make([]byte, 8)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != path {
			continue
		}
		lo, hi, ok := strings.Cut(fs[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return out, fmt.Errorf("resident: maps line %q", sc.Text())
		}
		for a := start; a < end; a += 4096 {
			if _, err := pm.ReadAt(entry, int64(a/4096*8)); err != nil {
				return out, fmt.Errorf("resident: pagemap: %w", err)
			}
			if binary.LittleEndian.Uint64(entry)&(1<<63) == 0 {
				continue
			}
			switch sectionAt(f, a) {
			case ".text", ".plt":
				out.text += 4
			case ".gopclntab":
				out.pclntab += 4
			case ".noptrdata", ".data", ".go.buildinfo", ".go.module", ".got", ".got.plt", ".dynamic", ".go.fipsinfo":
				out.data += 4
			default:
				out.rodata += 4
			}
		}
	}
	return out, sc.Err()
}

func sectionAt(f *elf.File, addr uint64) string {
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && addr+4096 > s.Addr && addr < s.Addr+s.Size {
			return s.Name
		}
	}
	return ""
}
