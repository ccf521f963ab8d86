//go:build linux && cgo

#include "egl_linux.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/glcorearb.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif
#ifndef EGL_PLATFORM_DEVICE_EXT
#define EGL_PLATFORM_DEVICE_EXT 0x313F
#endif

static PFNGLGETSTRINGPROC p_glGetString;
static PFNGLGETSTRINGIPROC p_glGetStringi;
static PFNGLGETINTEGERVPROC p_glGetIntegerv;
static PFNGLGETERRORPROC p_glGetError;
static PFNGLFINISHPROC p_glFinish;
static PFNGLCREATESHADERPROC p_glCreateShader;
static PFNGLSHADERSOURCEPROC p_glShaderSource;
static PFNGLCOMPILESHADERPROC p_glCompileShader;
static PFNGLGETSHADERIVPROC p_glGetShaderiv;
static PFNGLGETSHADERINFOLOGPROC p_glGetShaderInfoLog;
static PFNGLDELETESHADERPROC p_glDeleteShader;
static PFNGLCREATEPROGRAMPROC p_glCreateProgram;
static PFNGLATTACHSHADERPROC p_glAttachShader;
static PFNGLLINKPROGRAMPROC p_glLinkProgram;
static PFNGLGETPROGRAMIVPROC p_glGetProgramiv;
static PFNGLGETPROGRAMINFOLOGPROC p_glGetProgramInfoLog;
static PFNGLDELETEPROGRAMPROC p_glDeleteProgram;
static PFNGLUSEPROGRAMPROC p_glUseProgram;
static PFNGLGENBUFFERSPROC p_glGenBuffers;
static PFNGLDELETEBUFFERSPROC p_glDeleteBuffers;
static PFNGLBINDBUFFERPROC p_glBindBuffer;
static PFNGLBUFFERDATAPROC p_glBufferData;
static PFNGLBUFFERSUBDATAPROC p_glBufferSubData;
static PFNGLGETBUFFERSUBDATAPROC p_glGetBufferSubData;
static PFNGLBINDBUFFERBASEPROC p_glBindBufferBase;
static PFNGLUNIFORM1IVPROC p_glUniform1iv;
static PFNGLDISPATCHCOMPUTEPROC p_glDispatchCompute;
static PFNGLMEMORYBARRIERPROC p_glMemoryBarrier;
static PFNGLGETGRAPHICSRESETSTATUSPROC p_glGetGraphicsResetStatus;

static void *libgl;

// sym finds a GL entry point: EGL first (EGL 1.5 and
// EGL_KHR_get_all_proc_addresses cover core functions), then the GL library.
static void *sym(const char *name) {
	void *p = (void *)eglGetProcAddress(name);
	if (p) {
		return p;
	}
	if (!libgl) {
		libgl = dlopen("libOpenGL.so.0", RTLD_NOW | RTLD_GLOBAL);
		if (!libgl) {
			libgl = dlopen("libGL.so.1", RTLD_NOW | RTLD_GLOBAL);
		}
	}
	return libgl ? dlsym(libgl, name) : NULL;
}

#define LOAD(name)                                                  \
	do {                                                            \
		p_##name = (void *)sym(#name);                              \
		if (!p_##name) {                                            \
			snprintf(err, errlen, "missing GL function %s", #name); \
			return -1;                                              \
		}                                                           \
	} while (0)

int spw_load(char *err, int errlen) {
	LOAD(glGetString);
	LOAD(glGetStringi);
	LOAD(glGetIntegerv);
	LOAD(glGetError);
	LOAD(glFinish);
	LOAD(glCreateShader);
	LOAD(glShaderSource);
	LOAD(glCompileShader);
	LOAD(glGetShaderiv);
	LOAD(glGetShaderInfoLog);
	LOAD(glDeleteShader);
	LOAD(glCreateProgram);
	LOAD(glAttachShader);
	LOAD(glLinkProgram);
	LOAD(glGetProgramiv);
	LOAD(glGetProgramInfoLog);
	LOAD(glDeleteProgram);
	LOAD(glUseProgram);
	LOAD(glGenBuffers);
	LOAD(glDeleteBuffers);
	LOAD(glBindBuffer);
	LOAD(glBufferData);
	LOAD(glBufferSubData);
	LOAD(glGetBufferSubData);
	LOAD(glBindBufferBase);
	LOAD(glUniform1iv);
	LOAD(glDispatchCompute);
	LOAD(glMemoryBarrier);
	// Reset status is core in 4.5 and an extension (KHR/ARB) before; a
	// context without it simply cannot report a reset.
	p_glGetGraphicsResetStatus = (void *)sym("glGetGraphicsResetStatus");
	if (!p_glGetGraphicsResetStatus) {
		p_glGetGraphicsResetStatus = (void *)sym("glGetGraphicsResetStatusKHR");
	}
	if (!p_glGetGraphicsResetStatus) {
		p_glGetGraphicsResetStatus = (void *)sym("glGetGraphicsResetStatusARB");
	}
	return 0;
}

static int has_token(const char *list, const char *name) {
	if (!list) {
		return 0;
	}
	size_t n = strlen(name);
	const char *p = list;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) {
			return 1;
		}
		p += n;
	}
	return 0;
}

static const char *egl_err(void) {
	switch (eglGetError()) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
	case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
	}
	return "EGL error";
}

// try_display initialises dpy and creates a GL 4.3 core context on it.
static int try_display(spw_ctx *c, EGLDisplay dpy, char *err, int errlen) {
	EGLint major, minor;
	if (dpy == EGL_NO_DISPLAY) {
		snprintf(err, errlen, "no display");
		return -1;
	}
	if (!eglInitialize(dpy, &major, &minor)) {
		snprintf(err, errlen, "eglInitialize: %s", egl_err());
		return -1;
	}
	if (!eglBindAPI(EGL_OPENGL_API)) {
		snprintf(err, errlen, "eglBindAPI(EGL_OPENGL_API): %s (no desktop OpenGL)", egl_err());
		return -1;
	}
	const char *ext = eglQueryString(dpy, EGL_EXTENSIONS);
	int surfaceless = has_token(ext, "EGL_KHR_surfaceless_context");
	EGLConfig cfg = (EGLConfig)0;
	EGLint n = 0;
	const EGLint want[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE,
			       surfaceless ? 0 : EGL_PBUFFER_BIT, EGL_NONE};
	if (!eglChooseConfig(dpy, want, &cfg, 1, &n) || n < 1) {
		if (!has_token(ext, "EGL_KHR_no_config_context") || !surfaceless) {
			snprintf(err, errlen, "no EGL config with desktop OpenGL: %s", egl_err());
			return -1;
		}
		cfg = (EGLConfig)0; // EGL_NO_CONFIG_KHR
	}
	int robust_ok = (major > 1 || minor >= 5) || has_token(ext, "EGL_KHR_create_context");
	EGLContext ctx = EGL_NO_CONTEXT;
	for (int robust = robust_ok; robust >= 0 && ctx == EGL_NO_CONTEXT; robust--) {
		EGLint attr[16];
		int k = 0;
		attr[k++] = EGL_CONTEXT_MAJOR_VERSION;
		attr[k++] = 4;
		attr[k++] = EGL_CONTEXT_MINOR_VERSION;
		attr[k++] = 3;
		attr[k++] = EGL_CONTEXT_OPENGL_PROFILE_MASK;
		attr[k++] = EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT;
		if (robust) {
			attr[k++] = EGL_CONTEXT_OPENGL_RESET_NOTIFICATION_STRATEGY;
			attr[k++] = EGL_LOSE_CONTEXT_ON_RESET;
		}
		attr[k++] = EGL_NONE;
		ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, attr);
		c->robust = robust;
	}
	if (ctx == EGL_NO_CONTEXT) {
		snprintf(err, errlen, "eglCreateContext(OpenGL 4.3 core): %s", egl_err());
		return -1;
	}
	EGLSurface surf = EGL_NO_SURFACE;
	if (!surfaceless) {
		const EGLint pb[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
		surf = eglCreatePbufferSurface(dpy, cfg, pb);
		if (surf == EGL_NO_SURFACE) {
			snprintf(err, errlen, "no surfaceless contexts and eglCreatePbufferSurface: %s", egl_err());
			eglDestroyContext(dpy, ctx);
			return -1;
		}
	}
	if (!eglMakeCurrent(dpy, surf, surf, ctx)) {
		snprintf(err, errlen, "eglMakeCurrent: %s", egl_err());
		if (surf != EGL_NO_SURFACE) {
			eglDestroySurface(dpy, surf);
		}
		eglDestroyContext(dpy, ctx);
		return -1;
	}
	c->dpy = dpy;
	c->ctx = ctx;
	c->surf = surf;
	return 0;
}

int spw_open(spw_ctx *c, int first, char *err, int errlen) {
	char e1[256] = "not tried", e2[256] = "not tried", e3[256] = "not tried";
	memset(c, 0, sizeof *c);
	const char *cext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	PFNEGLGETPLATFORMDISPLAYEXTPROC getPlatformDisplay =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (first > 1) {
		snprintf(e1, sizeof e1, "skipped");
	} else if (getPlatformDisplay && has_token(cext, "EGL_MESA_platform_surfaceless")) {
		EGLDisplay d = getPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
		if (try_display(c, d, e1, sizeof e1) == 0) {
			c->platform = 1;
			return 0;
		}
	} else {
		snprintf(e1, sizeof e1, "EGL_MESA_platform_surfaceless not offered");
	}
	PFNEGLQUERYDEVICESEXTPROC queryDevices =
		(PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	if (first > 2) {
		snprintf(e2, sizeof e2, "skipped");
	} else if (getPlatformDisplay && queryDevices && has_token(cext, "EGL_EXT_platform_device")) {
		EGLDeviceEXT devs[8];
		EGLint nd = 0;
		snprintf(e2, sizeof e2, "no EGL devices");
		if (queryDevices(8, devs, &nd)) {
			for (int i = 0; i < nd; i++) {
				EGLDisplay d = getPlatformDisplay(EGL_PLATFORM_DEVICE_EXT, devs[i], NULL);
				if (try_display(c, d, e2, sizeof e2) == 0) {
					c->platform = 2;
					return 0;
				}
			}
		}
	} else {
		snprintf(e2, sizeof e2, "EGL_EXT_platform_device not offered");
	}
	if (try_display(c, eglGetDisplay(EGL_DEFAULT_DISPLAY), e3, sizeof e3) == 0) {
		c->platform = 3;
		return 0;
	}
	snprintf(err, errlen, "surfaceless: %s; device: %s; default display: %s", e1, e2, e3);
	return -1;
}

void spw_close(spw_ctx *c) {
	if (!c->dpy) {
		return;
	}
	eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (c->surf) {
		eglDestroySurface(c->dpy, c->surf);
	}
	eglDestroyContext(c->dpy, c->ctx);
	eglReleaseThread();
	// The display is not terminated: EGL displays are shared per process, and
	// terminating one would break another renderer living on it.
	c->dpy = NULL;
}

const char *spw_string(unsigned int name) {
	return (const char *)p_glGetString(name);
}

int spw_has_extension(const char *name) {
	GLint n = 0;
	p_glGetIntegerv(GL_NUM_EXTENSIONS, &n);
	for (GLint i = 0; i < n; i++) {
		const char *e = (const char *)p_glGetStringi(GL_EXTENSIONS, i);
		if (e && strcmp(e, name) == 0) {
			return 1;
		}
	}
	return 0;
}

int spw_get_int(unsigned int pname) {
	GLint v = 0;
	p_glGetIntegerv(pname, &v);
	return v;
}

unsigned int spw_error(void) { return p_glGetError(); }

unsigned int spw_reset_status(void) {
	return p_glGetGraphicsResetStatus ? p_glGetGraphicsResetStatus() : 0;
}

void spw_finish(void) { p_glFinish(); }

unsigned int spw_program(const char *src, char *log, int loglen) {
	GLuint s = p_glCreateShader(GL_COMPUTE_SHADER);
	if (!s) {
		snprintf(log, loglen, "glCreateShader(GL_COMPUTE_SHADER) failed (GL error 0x%x)", p_glGetError());
		return 0;
	}
	p_glShaderSource(s, 1, &src, NULL);
	p_glCompileShader(s);
	GLint ok = 0;
	p_glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		p_glGetShaderInfoLog(s, loglen, NULL, log);
		p_glDeleteShader(s);
		return 0;
	}
	GLuint p = p_glCreateProgram();
	p_glAttachShader(p, s);
	p_glLinkProgram(p);
	p_glDeleteShader(s);
	p_glGetProgramiv(p, GL_LINK_STATUS, &ok);
	if (!ok) {
		p_glGetProgramInfoLog(p, loglen, NULL, log);
		p_glDeleteProgram(p);
		return 0;
	}
	return p;
}

void spw_delete_program(unsigned int p) { p_glDeleteProgram(p); }

unsigned int spw_buffer(int64_t size, const void *data, unsigned int *glerr) {
	GLuint b = 0;
	while (p_glGetError() != GL_NO_ERROR) {
	}
	p_glGenBuffers(1, &b);
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, b);
	p_glBufferData(GL_SHADER_STORAGE_BUFFER, (GLsizeiptr)size, data, GL_STATIC_DRAW);
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
	GLenum e = p_glGetError();
	if (e != GL_NO_ERROR) {
		p_glDeleteBuffers(1, &b);
		*glerr = e;
		return 0;
	}
	*glerr = 0;
	return b;
}

void spw_delete_buffer(unsigned int b) { p_glDeleteBuffers(1, &b); }

void spw_upload(unsigned int b, int64_t off, int64_t size, const void *data) {
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, b);
	p_glBufferSubData(GL_SHADER_STORAGE_BUFFER, (GLintptr)off, (GLsizeiptr)size, data);
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
}

void spw_download(unsigned int b, int64_t off, int64_t size, void *data) {
	p_glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, b);
	p_glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, (GLintptr)off, (GLsizeiptr)size, data);
	p_glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
}

void spw_run(const spw_cmd *cmds, int n) {
	for (int i = 0; i < n; i++) {
		const spw_cmd *c = &cmds[i];
		p_glUseProgram(c->prog);
		for (int j = 0; j < c->nbuf; j++) {
			p_glBindBufferBase(GL_SHADER_STORAGE_BUFFER, j, c->buf[j]);
		}
		p_glUniform1iv(0, 16, c->p);
		p_glDispatchCompute(c->gx, c->gy, c->gz);
		p_glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
	}
}
