// Copyright notice: part of Spadework. C side of the OpenGL compute backend:
// an EGL context without a window and the few GL entry points the backend
// uses, loaded at run time so that the binary links only libEGL.
#ifndef SPW_EGL_LINUX_H
#define SPW_EGL_LINUX_H

#include <stdint.h>

// spw_cmd is one compute dispatch: the program, the storage buffers bound to
// binding points 0..nbuf-1, the 16 integer parameters (uniform int P[16] at
// location 0) and the work-group counts.
typedef struct {
	unsigned int prog;
	int nbuf;
	unsigned int buf[8];
	int p[16];
	unsigned int gx, gy, gz;
} spw_cmd;

// spw_ctx holds the EGL objects of one context.
typedef struct {
	void *dpy;
	void *ctx;
	void *surf;
	int platform; // which display path worked: 1 surfaceless, 2 device, 3 default
	int robust;   // whether the context was created with reset notification
} spw_ctx;

// spw_open creates a desktop OpenGL 4.3 core context and makes it current on
// the calling thread, trying the display paths from first (1 surfaceless,
// 2 device, 3 default display) on. It returns 0 on success, or writes a
// reason to err.
int spw_open(spw_ctx *c, int first, char *err, int errlen);
void spw_close(spw_ctx *c);

// spw_load resolves the GL entry points; 0 on success, else err names the
// first missing function.
int spw_load(char *err, int errlen);

const char *spw_string(unsigned int name);
int spw_has_extension(const char *name);
int spw_get_int(unsigned int pname);
unsigned int spw_error(void);
unsigned int spw_reset_status(void);
void spw_finish(void);

// spw_program compiles and links a compute shader; 0 and a log on failure.
unsigned int spw_program(const char *src, char *log, int loglen);
void spw_delete_program(unsigned int p);

// spw_buffer creates a storage buffer of size bytes (data may be NULL); it
// returns 0 and the GL error in *glerr when the allocation fails.
unsigned int spw_buffer(int64_t size, const void *data, unsigned int *glerr);
void spw_delete_buffer(unsigned int b);
void spw_upload(unsigned int b, int64_t off, int64_t size, const void *data);
void spw_download(unsigned int b, int64_t off, int64_t size, void *data);

// spw_run issues cmds[0..n) in order with a storage barrier after each.
void spw_run(const spw_cmd *cmds, int n);

#endif
