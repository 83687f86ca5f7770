import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './console.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiFailure } from './api/failure.ts';
import { App } from './app/App.tsx';
import { theme } from './app/theme.ts';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Live updates come from the stream; a refetch on focus would only repeat what it already said.
      refetchOnWindowFocus: false,
      staleTime: 10_000,
      retry: (failures, error) => !(error instanceof ApiFailure && error.status >= 400 && error.status < 500) && failures < 2,
    },
  },
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      {/* No <style> elements: the Content-Security-Policy allows stylesheets from files only, and styles.css carries the default theme's variables. */}
      <MantineProvider theme={theme} withCssVariables={false} withGlobalClasses={false}>
        <Notifications position="top-right" />
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <App queryClient={queryClient} />
          </BrowserRouter>
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}
